import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  escapeMarkdown,
  type HeraldEvent,
  HttpUrl,
  mapStrings,
  type Person,
  rateLimited,
  Secret,
  STATUS_TITLE_TEMPLATE,
  type TemplateVars,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_TEXT = '{{ event.text }}';

/** Create a message: `text` and `markdown` are each at most 7,439 bytes. */
export const WEBEX_LIMITS = { bytes: 7439, labels: 20, labelValue: 500, links: 5 };
const MARKER = '… (truncated)';

const ICONS: Record<EffectiveSeverity, string> = { ok: '✅', critical: '🔴', error: '🟠', warning: '🟡', info: 'ℹ️' };

/** Cuts UTF-8 text to `max` bytes at a character boundary, never leaving a dangling backslash escape. */
export function truncateBytes(text: string, max: number, marker = MARKER): string {
  if (Buffer.byteLength(text) <= max) return text;
  const budget = max - Buffer.byteLength(marker);
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (used + n > budget) break;
    out += ch;
    used += n;
  }
  if (/(^|[^\\])(\\\\)*\\$/.test(out)) out = out.slice(0, -1);
  return `${out}${marker}`;
}

/**
 * Webex mentions are `<@all>`, `<@personEmail:…>` and `<@personId:…>`; a
 * zero-width space between `<` and `@` in untrusted text keeps them from
 * pinging, whether or not a client honours the backslash before `<`.
 */
export function defuseWebexMentions(text: string): string {
  return text.replace(/<@/g, '<\u200b@');
}

function defusedVars(vars: TemplateVars): TemplateVars {
  return { ...vars, event: mapStrings(vars.event, defuseWebexMentions) };
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

const EMAIL = /^[^\s@<>|]+@[^\s@<>|]+\.[^\s@<>|]+$/;

/** The people a route attaches with a `webex` contact (their Webex account's email), to mention. */
export function mentionedPeople(people: readonly Person[]): { mentions: { email: string; name: string }[]; invalid: string[] } {
  const mentions: { email: string; name: string }[] = [];
  const invalid: string[] = [];
  for (const p of people) {
    const email = p.contacts.webex;
    if (email === undefined) continue;
    if (EMAIL.test(email)) {
      if (!mentions.some((m) => m.email === email)) mentions.push({ email, name: p.name.replace(/[<>|]/g, '') });
    } else invalid.push(p.name);
  }
  return { mentions, invalid };
}

/**
 * `markdown`: bold title, text, labels, a context line and links; `text`: the
 * plain fallback for clients that cannot render Markdown (and notifications).
 * `mdTitle`/`mdText` arrive rendered with values Markdown-escaped.
 */
export function buildMessage(
  event: HeraldEvent,
  plain: { title: string; text: string },
  md: { title: string; text: string },
  mentions: readonly { email: string; name: string }[] = [],
) {
  const icon = ICONS[effectiveSeverity(event)];
  const esc = (s: string) => escapeMarkdown(defuseWebexMentions(s));
  const labels = Object.entries(event.labels).slice(0, WEBEX_LIMITS.labels);
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, WEBEX_LIMITS.links);
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .join(' · ');
  const parts = [`${icon} **${md.title}**`];
  if (md.text.trim()) parts.push(md.text);
  if (labels.length > 0) parts.push(labels.map(([k, v]) => `- **${esc(k)}**: ${esc(v.slice(0, WEBEX_LIMITS.labelValue))}`).join('\n'));
  parts.push(`_${esc(context)}_`);
  if (links.length > 0)
    parts.push(links.map((l) => `[${esc(l.title)}](${l.url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)})`).join(' · '));
  const text = [`${icon} ${plain.title}`, ...(plain.text.trim() ? [plain.text] : [])].join('\n');
  // Mentions go last and are kept whole when the rest is cut, so the people are still notified.
  const cc = mentions.length > 0 ? `\n\ncc ${mentions.map((m) => `<@personEmail:${m.email}|${m.name}>`).join(' ')}` : '';
  const ccText = mentions.length > 0 ? `\ncc ${mentions.map((m) => m.name).join(', ')}` : '';
  return {
    markdown: truncateBytes(parts.join('\n\n'), WEBEX_LIMITS.bytes - Buffer.byteLength(cc)) + cc,
    text: truncateBytes(defuseWebexMentions(text), WEBEX_LIMITS.bytes - Buffer.byteLength(ccText)) + ccText,
  };
}

/** Webex errors: `{"message": "…", "errors": [{"description": "…"}], "trackingId": "…"}`. */
function describeError(body: string): string | undefined {
  try {
    const a = JSON.parse(body) as { message?: unknown; trackingId?: unknown };
    if (typeof a.message !== 'string') return undefined;
    return `${a.message.slice(0, 300)}${typeof a.trackingId === 'string' ? ` (trackingId ${a.trackingId.slice(0, 80)})` : ''}`;
  } catch {
    return undefined;
  }
}

/**
 * Webex (Cisco) messaging as a bot: `POST {api_url}/messages` with the bot's
 * access token as Bearer, to a space (`roomId`) or one person
 * (`toPersonEmail`), with `markdown` and its plain `text` alternative. Event
 * values are Markdown-escaped and `<@…>` mentions in them defused; the people
 * a route attaches are mentioned by their `webex` contact (email). A 429's
 * Retry-After holds back every send of the receiver.
 * API: https://developer.webex.com/docs/api/v1/messages/create-a-message,
 * rate limits: https://developer.webex.com/docs/basics#upper-limits
 */
export default defineReceiver({
  type: 'webex',
  version: '1.0.0',
  displayName: 'Webex',
  docsUrl: 'https://developer.webex.com/docs/api/v1/messages/create-a-message',
  contact: { field: 'webex', pattern: EMAIL, description: 'the email address of a Webex account', example: 'alice@example.com' },
  config: Type.Object(
    {
      token: Secret({ description: 'bot access token (developer.webex.com → My Webex Apps → bot), sent as Bearer' }),
      room_id: Type.Optional(
        Type.String({ minLength: 1, description: 'space to post in (`roomId`); the bot must be a member; give `room_id` or `to_person_email`' }),
      ),
      to_person_email: Type.Optional(Type.String({ format: 'email', description: 'send a 1:1 message to this person instead of a space' })),
      api_url: HttpUrl({ description: 'API base URL (tests, FedRAMP)', default: 'https://webexapis.com/v1' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); values are Markdown-escaped' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the body; values are Markdown-escaped' })),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 50, default: 2, description: "pacing of this receiver's sends" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.room_id && config.to_person_email) return [{ path: 'to_person_email', message: 'give either room_id or to_person_email, not both' }];
    if (!config.room_id && !config.to_person_email) return [{ path: 'room_id', message: 'is required (or give to_person_email)' }];
    return [];
  },
  create(config, { templates, clock }) {
    const titlePlain = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const textPlain = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'none' });
    const titleMd = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'markdown' });
    const textMd = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'markdown' });
    const pacer = createPacer(config.max_per_second, clock);
    const url = `${config.api_url.replace(/\/+$/, '')}/messages`;
    const redact = (s: string) => s.split(config.token).join('[redacted]');
    const target = config.room_id ? { roomId: config.room_id } : { toPersonEmail: config.to_person_email };
    return {
      async send(notification, ctx) {
        const vars = defusedVars(templateVars(notification));
        const people = mentionedPeople(notification.people);
        if (people.invalid.length > 0) ctx.log.warn({ people: people.invalid }, 'webex contact is not an email address; not mentioned');
        const message = buildMessage(
          notification.event,
          { title: titlePlain.render(vars), text: textPlain.render(vars) },
          { title: titleMd.render(vars), text: textMd.render(vars) },
          people.mentions,
        );
        return pacer.run(async () => {
          const res = await ctx.http.request({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${config.token}` },
            body: JSON.stringify({ ...target, ...message }),
            signal: ctx.signal,
          });
          const response = redact(res.body);
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
          if (!failure) return { status: res.status, response };
          const why = describeError(res.body);
          const msg = why ? `${failure.message}: ${redact(why)}` : failure.message;
          if (failure.reason === 'rate_limited') {
            const wait = failure.retryAfterMs ?? 60_000;
            pacer.block(wait);
            throw rateLimited(msg, wait, { status: res.status, response });
          }
          throw new DeliveryError(msg, {
            reason: failure.reason,
            retryable: failure.retryable,
            retryAfterMs: failure.retryAfterMs,
            status: res.status,
            response,
          });
        }, ctx.signal);
      },
    };
  },
});
