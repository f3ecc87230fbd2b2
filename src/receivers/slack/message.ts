import { type EffectiveSeverity, effectiveSeverity, escapeSlack, type HeraldEvent } from '@herald/sdk';

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export const SLACK_LIMITS = { sectionText: 3000, fieldText: 2000, fields: 10, buttonText: 75, buttonUrl: 3000, buttons: 5, messageText: 40_000 };

const COLOURS: Record<EffectiveSeverity, string> = {
  ok: '#2EB67D',
  critical: '#D0021B',
  error: '#E8590C',
  warning: '#F2C744',
  info: '#439FE0',
};

export function colourFor(event: HeraldEvent): string {
  return COLOURS[effectiveSeverity(event)];
}

/** Cuts text to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export interface SlackMessage {
  text: string;
  attachments: { color: string; blocks: unknown[] }[];
}

/**
 * One message: a fallback `text` (notifications, screen readers), and a
 * coloured attachment holding Block Kit blocks: title and text, labels as
 * fields, a context line, and link buttons. `title` and `text` arrive
 * rendered and escaped by the receiver's templates; label values are escaped here.
 */
export function buildMessage(event: HeraldEvent, title: string, text: string): SlackMessage {
  const blocks: unknown[] = [{ type: 'section', text: { type: 'mrkdwn', text: truncate(`*${title}*${text ? `\n${text}` : ''}`, SLACK_LIMITS.sectionText) } }];
  const labels = Object.entries(event.labels).slice(0, SLACK_LIMITS.fields);
  if (labels.length > 0) {
    blocks.push({
      type: 'section',
      fields: labels.map(([k, v]) => ({ type: 'mrkdwn', text: truncate(`*${escapeSlack(k)}*\n${escapeSlack(v)}`, SLACK_LIMITS.fieldText) })),
    });
  }
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .map((s) => escapeSlack(String(s)));
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] });
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .filter((l) => l.url.length <= SLACK_LIMITS.buttonUrl)
    .slice(0, SLACK_LIMITS.buttons);
  if (links.length > 0) {
    blocks.push({
      type: 'actions',
      elements: links.map((l, i) => ({
        type: 'button',
        action_id: `link_${i}`,
        text: { type: 'plain_text', text: truncate(l.title || 'Link', SLACK_LIMITS.buttonText) },
        url: l.url,
      })),
    });
  }
  return { text: truncate(title, SLACK_LIMITS.messageText), attachments: [{ color: colourFor(event), blocks }] };
}
