import { defuseMentions, type EffectiveSeverity, effectiveSeverity, escapeMattermost, type HeraldEvent, mapStrings, type TemplateVars } from '@herald/sdk';

/** Mattermost: a post's message is at most 16,383 characters (longer webhook text is split into several posts). */
export const MATTERMOST_LIMITS = { text: 16_383, fields: 20, fieldValue: 1000, links: 5 };

export const MARKER = '… (truncated)';

export function truncate(text: string, max: number, marker = MARKER): string {
  if (text.length <= max) return text;
  if (max <= marker.length) return text.slice(0, max);
  let cut = text.slice(0, max - marker.length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  if (/(^|[^\\])(\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${marker}`;
}

/** A copy of the template variables whose event strings have their mentions defused (the `markdown` escape does the rest). */
export function defusedVars(vars: TemplateVars): TemplateVars {
  return { ...vars, event: mapStrings(vars.event, defuseMentions) };
}

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

function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

export interface MattermostMessage {
  text: string;
  username?: string;
  icon_url?: string;
  icon_emoji?: string;
  channel?: string;
  attachments: {
    fallback: string;
    color: string;
    text?: string;
    fields?: { short: boolean; title: string; value: string }[];
    footer: string;
  }[];
}

/**
 * The post: `text` is the title in bold and the rendered text, cut to 16,383
 * characters so it stays one post; a message attachment coloured by severity
 * (green when resolved) holds the labels as short fields, the links, and a
 * footer with status, severity, source and key. `title` and `text` arrive
 * rendered and escaped; labels, links and the footer are escaped here.
 */
export function buildMessage(
  event: HeraldEvent,
  title: string,
  text: string,
  opts: { username?: string; icon_url?: string; icon_emoji?: string; channel?: string },
): MattermostMessage {
  const head = `**${title}**`;
  const message = text ? truncate(`${head}\n${text}`, MATTERMOST_LIMITS.text) : truncate(head, MATTERMOST_LIMITS.text);
  const fields = Object.entries(event.labels)
    .slice(0, MATTERMOST_LIMITS.fields)
    .map(([k, v]) => ({ short: true, title: truncate(defuseMentions(k), 200, '…'), value: truncate(escapeMattermost(v), MATTERMOST_LIMITS.fieldValue, '…') }));
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, MATTERMOST_LIMITS.links)
    .map(
      (l) =>
        `[${escapeMattermost(truncate(l.title, 100, '…'))}](${l.url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`,
    );
  const footer = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .map((s) => defuseMentions(String(s)))
    .join(' · ');
  const attachment: MattermostMessage['attachments'][number] = {
    fallback: truncate(defuseMentions(event.title), 300, '…'),
    color: colourFor(event),
    footer: truncate(footer, 300, '…'),
  };
  if (fields.length > 0) attachment.fields = fields;
  if (links.length > 0) attachment.text = links.join(' · ');
  const out: MattermostMessage = { text: message, attachments: [attachment] };
  if (opts.username) out.username = opts.username;
  if (opts.icon_url) out.icon_url = opts.icon_url;
  if (opts.icon_emoji) out.icon_emoji = opts.icon_emoji;
  if (opts.channel) out.channel = opts.channel;
  return out;
}
