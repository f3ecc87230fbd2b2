import { type Escape, escapeHtml, escapeMarkdown, escapeSlack } from '@herald/sdk';

/** The template engine's `escape` modes, each the SDK's escaper for that target. */
export const ESCAPERS: Record<Escape, (text: string) => string> = {
  none: (text) => text,
  slack: escapeSlack,
  html: escapeHtml,
  markdown: escapeMarkdown,
};
