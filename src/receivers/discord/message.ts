import { type EffectiveSeverity, effectiveSeverity, escapeDiscord, type HeraldEvent } from '@herald/sdk';

/** Execute Webhook / embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  content: 2000,
  username: 80,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  /** Sum of title, description, field names and values, footer text and author name over all embeds. */
  embedTotal: 6000,
};

const COLOURS: Record<EffectiveSeverity, number> = {
  ok: 0x2eb67d,
  critical: 0xd0021b,
  error: 0xe8590c,
  warning: 0xf2c744,
  info: 0x439fe0,
};

export function colourFor(event: HeraldEvent): number {
  return COLOURS[effectiveSeverity(event)];
}

export const MARKER = '… (truncated)';

/** Cuts text to `max` UTF-16 units (never more characters than Discord counts), marking the cut. */
export function truncate(text: string, max: number, marker = MARKER): string {
  if (text.length <= max) return text;
  if (max <= marker.length) return text.slice(0, max);
  let cut = text.slice(0, max - marker.length);
  // Do not leave half a surrogate pair or a dangling escape backslash before the marker.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  if (/(^|[^\\])(\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${marker}`;
}

/** Only plain http(s) URLs go into an embed `url` or a link; others are dropped. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url || url.length > 2048) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    return u.toString();
  } catch {
    return undefined;
  }
}

export interface DiscordEmbed {
  title: string;
  description?: string;
  url?: string;
  color: number;
  fields?: { name: string; value: string; inline: boolean }[];
  footer?: { text: string };
  timestamp: string;
}

export interface DiscordMessage {
  username?: string;
  avatar_url?: string;
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: string[] };
}

/**
 * One message with one embed, coloured by severity (green when resolved):
 * the rendered title and text, labels as inline fields, links as a field,
 * and a footer with status, severity, source and key. `title` and `text`
 * arrive rendered and escaped; everything else from the event is escaped
 * here. `allowed_mentions: {parse: []}` makes Discord ping nobody, whatever
 * the text says.
 */
export function buildMessage(event: HeraldEvent, title: string, text: string, opts: { username?: string; avatar_url?: string }): DiscordMessage {
  const embed: DiscordEmbed = {
    title: truncate(title || escapeDiscord(event.title) || '(no title)', DISCORD_LIMITS.title, '…'),
    color: colourFor(event),
    timestamp: new Date(Date.parse(event.occurred_at ?? '') || Date.parse(event.received_at)).toISOString(),
  };
  const url = safeUrl(event.url);
  if (url) embed.url = url;
  const footer = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .join(' · ');
  // Footers are not rendered as markdown: only the length matters.
  embed.footer = { text: truncate(footer, DISCORD_LIMITS.footer, '…') };
  const fields: { name: string; value: string; inline: boolean }[] = [];
  const links = [...(url ? [{ title: 'Open', url }] : []), ...(event.links ?? []).map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))]
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    // Masked links: the title escaped, the URL in <> (no preview) with the characters that would end it encoded.
    .map(
      (l) =>
        `[${escapeDiscord(truncate(l.title, 100, '…'))}](<${l.url.replace(/[<>()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)}>)`,
    );
  const labels = Object.entries(event.labels).slice(0, DISCORD_LIMITS.fields - (links.length > 0 ? 1 : 0));
  for (const [k, v] of labels) {
    fields.push({
      name: truncate(escapeDiscord(k), DISCORD_LIMITS.fieldName, '…'),
      value: truncate(escapeDiscord(v) || '\u200b', DISCORD_LIMITS.fieldValue, '…'),
      inline: true,
    });
  }
  if (links.length > 0) {
    let value = '';
    for (const l of links) if (value.length + l.length + 1 <= DISCORD_LIMITS.fieldValue) value += `${value ? '\n' : ''}${l}`;
    if (value) fields.push({ name: 'Links', value, inline: false });
  }
  // Whatever room the 6,000-character total leaves goes to the description; fields give way first.
  const fixed = () => embed.title.length + (embed.footer?.text.length ?? 0) + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  while (fields.length > 0 && fixed() > DISCORD_LIMITS.embedTotal - 200) fields.pop();
  if (fields.length > 0) embed.fields = fields;
  const room = Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.embedTotal - fixed());
  if (text) embed.description = truncate(text, room);
  const message: DiscordMessage = { embeds: [embed], allowed_mentions: { parse: [] } };
  if (opts.username) message.username = opts.username;
  if (opts.avatar_url) message.avatar_url = opts.avatar_url;
  return message;
}
