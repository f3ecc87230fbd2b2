import type { Escape } from '@herald/sdk';

/** Slack mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Backslash-escapes Markdown syntax and defuses mass mentions, so event text
 * cannot add links, formatting or `@everyone` pings.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, '\\$&').replace(/@(everyone|here|channel)\b/gi, '@\u200b$1');
}

export const ESCAPERS: Record<Escape, (text: string) => string> = {
  none: (text) => text,
  slack: escapeSlack,
  html: escapeHtml,
  markdown: escapeMarkdown,
};
