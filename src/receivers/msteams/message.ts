import { effectiveSeverity, escapeMarkdown, type HeraldEvent } from '@herald/sdk';

/** Teams: a message (the whole JSON request) may be at most 28 KB; Teams renders at most 6 card actions. */
export const TEAMS_LIMITS = { messageBytes: 28 * 1024, actions: 5, facts: 20, factValue: 1000, title: 500, text: 28 * 1024 };

export const MARKER = '… (truncated)';

/** Cuts text to `max` UTF-16 units, marking the cut; never leaves half a surrogate pair or a dangling escape. */
export function truncate(text: string, max: number, marker = MARKER): string {
  if (text.length <= max) return text;
  if (max <= marker.length) return text.slice(0, max);
  let cut = text.slice(0, max - marker.length);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  if (/(^|[^\\])(\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}${marker}`;
}

/*
 * Card text is escaped with the SDK's `escapeMarkdown`: it covers the Markdown
 * subset Adaptive Cards render in TextBlock and Fact title/value (bold,
 * italics, lists, links), `<` and `>` (no `<at>` mentions), and `{`/`}` so
 * event text cannot call the card's `{{DATE()}}`/`{{TIME()}}` functions.
 */

/** Adaptive Card TextBlock colours. */
export function colourFor(event: HeraldEvent): 'Good' | 'Attention' | 'Warning' | 'Accent' {
  const severity = effectiveSeverity(event);
  if (severity === 'ok') return 'Good';
  if (severity === 'critical' || severity === 'error') return 'Attention';
  if (severity === 'warning') return 'Warning';
  return 'Accent';
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

export interface TeamsMessage {
  type: 'message';
  attachments: { contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: Record<string, unknown> }[];
}

/**
 * The Workflows ("When a Teams webhook request is received") payload: one
 * Adaptive Card 1.4 with the title (bold, coloured by severity, green when
 * resolved), the text, labels as a FactSet, a subtle context line and
 * Action.OpenUrl buttons for `url` and `links`. `title` and `text` arrive
 * rendered and escaped; labels are escaped here. The text is cut further
 * if the whole request would exceed Teams' 28 KB.
 */
export function buildMessage(event: HeraldEvent, title: string, text: string): TeamsMessage {
  const facts = Object.entries(event.labels)
    .slice(0, TEAMS_LIMITS.facts)
    .map(([k, v]) => ({ title: truncate(escapeMarkdown(k), 200, '…'), value: truncate(escapeMarkdown(v), TEAMS_LIMITS.factValue, '…') }));
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .map((s) => escapeMarkdown(String(s)))
    .join(' · ');
  const actions = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, TEAMS_LIMITS.actions)
    // Action titles are plain text, not Markdown.
    .map((l) => ({ type: 'Action.OpenUrl', title: truncate(l.title, 100, '…'), url: l.url }));
  const build = (body: string): TeamsMessage => {
    const elements: unknown[] = [
      { type: 'TextBlock', text: truncate(title, TEAMS_LIMITS.title, '…'), weight: 'Bolder', size: 'Medium', color: colourFor(event), wrap: true },
    ];
    if (body) elements.push({ type: 'TextBlock', text: body, wrap: true });
    if (facts.length > 0) elements.push({ type: 'FactSet', facts });
    elements.push({ type: 'TextBlock', text: context, isSubtle: true, size: 'Small', wrap: true });
    const card: Record<string, unknown> = {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
      body: elements,
      msteams: { width: 'Full' },
    };
    if (actions.length > 0) card.actions = actions;
    return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
  };
  let body = truncate(text, TEAMS_LIMITS.text);
  let message = build(body);
  // JSON escaping and multi-byte characters make bytes ≠ characters: measure the request. Labels give way
  // first (down to what fits in half the budget), then the text is cut until the whole request fits.
  const size = () => Buffer.byteLength(JSON.stringify(message));
  while (facts.length > 0 && Buffer.byteLength(JSON.stringify(facts)) > TEAMS_LIMITS.messageBytes / 2) facts.pop();
  message = build(body);
  // Cut in proportion to the text's JSON bytes (escapes and UTF-8 make them more than its length), then trim.
  const room = TEAMS_LIMITS.messageBytes - Buffer.byteLength(JSON.stringify(build(''))) - 64;
  while (size() > TEAMS_LIMITS.messageBytes && body.length > 0) {
    const bytes = Buffer.byteLength(JSON.stringify(body));
    const next = Math.min(body.length - 1, Math.floor((body.length * Math.max(0, room)) / bytes));
    body = truncate(body, Math.max(0, next));
    message = build(body);
  }
  return message;
}
