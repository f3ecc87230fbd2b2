import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  type HeraldEvent,
  HttpUrl,
  mapStrings,
  type Person,
  permanent,
  rateLimited,
  STATUS_TITLE_TEMPLATE,
  type TemplateVars,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_TEXT = '{{ event.text }}';

/** Rocket.Chat refuses messages over `Message_MaxAllowedSize`, 5,000 characters by default. */
export const ROCKETCHAT_LIMITS = { text: 5000, fields: 20, fieldValue: 1000, links: 5 };
const MARKER = '… (truncated)';
/** Rocket.Chat's API rate limiter answers 429 with X-RateLimit-Reset but no Retry-After; its default window is 60 s. */
const RATE_LIMIT_WAIT_MS = 60_000;

const COLOURS: Record<EffectiveSeverity, string> = { ok: '#2EB67D', critical: '#D0021B', error: '#E8590C', warning: '#F2C744', info: '#439FE0' };

export function truncate(text: string, max: number, marker = MARKER): string {
  if (text.length <= max) return text;
  let out = text.slice(0, max - marker.length);
  if (/[\uD800-\uDBFF]$/.test(out)) out = out.slice(0, -1);
  return `${out}${marker}`;
}

/**
 * Rocket.Chat's message parser has no backslash escapes, so untrusted text is
 * defused by a zero-width space where syntax would start: after `@` and `#`
 * (user and channel mentions: `@all`, `@here`, `@alice`, `#general`), between
 * `]` and `(` (Markdown links and images) and after `<` (`<url|title>` links).
 * The text reads as written; an `@` inside a word (an e-mail) is left alone.
 */
export function defuseRocketChat(text: string): string {
  return text
    .replace(/(^|[^\p{L}\p{N}_])([@#])(?=[\p{L}\p{N}_.-])/gu, '$1$2\u200b')
    .replace(/\]\(/g, ']\u200b(')
    .replace(/<(?=\S)/g, '<\u200b');
}

/** A copy of the template variables whose event strings are defused. */
function defusedVars(vars: TemplateVars): TemplateVars {
  return { ...vars, event: mapStrings(vars.event, defuseRocketChat), people: mapStrings(vars.people, defuseRocketChat) };
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

export interface RocketChatMessage {
  text: string;
  alias?: string;
  emoji?: string;
  avatar?: string;
  channel?: string;
  attachments: { color: string; title?: string; title_link?: string; text?: string; fields?: { short: boolean; title: string; value: string }[] }[];
}

export function buildMessage(
  event: HeraldEvent,
  title: string,
  text: string,
  opts: { alias?: string; emoji?: string; avatar?: string; channel?: string },
  mentions: readonly string[] = [],
): RocketChatMessage {
  // Mentions go last and survive the cut, so the attached people are notified even for long texts.
  const cc = mentions.length > 0 ? `\ncc ${mentions.map((m) => `@${m}`).join(' ')}` : '';
  const message = truncate(text ? `*${title}*\n${text}` : `*${title}*`, ROCKETCHAT_LIMITS.text - cc.length) + cc;
  const fields = Object.entries(event.labels)
    .slice(0, ROCKETCHAT_LIMITS.fields)
    .map(([k, v]) => ({ short: true, title: defuseRocketChat(k), value: truncate(defuseRocketChat(v), ROCKETCHAT_LIMITS.fieldValue, '…') }));
  const links = (event.links ?? [])
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, ROCKETCHAT_LIMITS.links)
    .map(
      (l) =>
        `[${defuseRocketChat(l.title).replace(/[[\]]/g, '')}](${l.url.replace(/[()\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`,
    );
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .map((s) => defuseRocketChat(String(s)))
    .join(' · ');
  const attachment: RocketChatMessage['attachments'][number] = { color: COLOURS[effectiveSeverity(event)], text: [context, ...links].join('\n') };
  const open = safeUrl(event.url);
  if (open) {
    attachment.title = 'Open';
    attachment.title_link = open;
  }
  if (fields.length > 0) attachment.fields = fields;
  const out: RocketChatMessage = { text: message, attachments: [attachment] };
  if (opts.alias) out.alias = opts.alias;
  if (opts.emoji) out.emoji = opts.emoji;
  if (opts.avatar) out.avatar = opts.avatar;
  if (opts.channel) out.channel = opts.channel;
  return out;
}

const USERNAME = /^[\p{L}\p{N}._-]+$/u;

/** The people a route attaches with a `rocketchat` contact (a username), to mention. */
export function mentionedUsers(people: readonly Person[]): { names: string[]; invalid: string[] } {
  const names: string[] = [];
  const invalid: string[] = [];
  for (const p of people) {
    const name = p.contacts.rocketchat?.replace(/^@/, '');
    if (name === undefined) continue;
    if (USERNAME.test(name)) {
      if (!names.includes(name)) names.push(name);
    } else invalid.push(p.name);
  }
  return { names, invalid };
}

/** How long a 429 asks to wait: Retry-After, else X-RateLimit-Reset (epoch ms), else the limiter's window. */
function rateLimitWait(headers: Record<string, string | string[] | undefined>, fromRetryAfter: number | undefined, now: number): number {
  if (fromRetryAfter !== undefined) return fromRetryAfter;
  const reset = Number(Array.isArray(headers['x-ratelimit-reset']) ? headers['x-ratelimit-reset'][0] : headers['x-ratelimit-reset']);
  if (Number.isFinite(reset) && reset > now) return Math.min(reset - now, 10 * 60_000);
  return RATE_LIMIT_WAIT_MS;
}

/**
 * Rocket.Chat, through an incoming webhook integration:
 * `POST {url}` (`https://chat.example.com/hooks/{integrationId}/{token}`)
 * with JSON `text` and `attachments` (Slack-style, coloured by effective
 * severity). Rocket.Chat answers `{"success": true}`, or `{"success": false,
 * "error": …}` — also with HTTP 200 when an integration script fails, which
 * is a failure here. Event values are defused (see defuseRocketChat) so an
 * event can neither mention anyone nor add links; the people a route attaches
 * are mentioned by their `rocketchat` contact (username).
 * API: https://docs.rocket.chat/docs/integrations (incoming webhooks),
 * payload: https://developer.rocket.chat/apidocs/post-message
 */
export default defineReceiver({
  type: 'rocketchat',
  version: '1.0.0',
  displayName: 'Rocket.Chat',
  docsUrl: 'https://docs.rocket.chat/docs/integrations',
  // USERNAME, with the leading @ that mentionedUsers strips allowed.
  contact: { field: 'rocketchat', pattern: /^@?[\p{L}\p{N}._-]+$/u, description: 'a Rocket.Chat username', example: 'alice.b' },
  config: Type.Object(
    {
      url: HttpUrl({ secret: true, description: 'incoming webhook URL (https://chat.example.com/hooks/{id}/{token}); the token is the credential' }),
      channel: Type.Optional(Type.String({ pattern: '^[#@][^\\s]+$', description: "`#channel` or `@user` overriding the integration's channel" })),
      alias: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'display name shown instead of the integration user' })),
      emoji: Type.Optional(Type.String({ pattern: '^:[a-z0-9_+-]+:$', description: 'emoji used as the avatar, e.g. `:rotating_light:`' })),
      avatar: Type.Optional(HttpUrl({ description: 'image URL used as the avatar (ignored when `emoji` is set)' })),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); event values are defused' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the body; event values are defused' })),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1, description: "pacing of this receiver's sends" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    try {
      if (!/\/hooks\/[^/]+\/[^/]+$/.test(new URL(config.url).pathname))
        return [{ path: 'url', message: 'is not an incoming webhook URL: it ends in /hooks/{integrationId}/{token}' }];
    } catch {
      // The schema reports a malformed URL.
    }
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'none' });
    const pacer = createPacer(config.max_per_second, clock);
    // The token is the URL's last path segment (validate() checks the /hooks/{id}/{token} shape).
    const token = new URL(config.url).pathname.split('/').pop() ?? '';
    const redact = (s: string) => (token.length > 0 ? s.split(token).join('[redacted]') : s);
    const describe = (body: string) => {
      try {
        const a = JSON.parse(body) as { success?: unknown; error?: unknown };
        return { success: a.success, error: typeof a.error === 'string' ? redact(a.error).slice(0, 300) : undefined };
      } catch {
        return undefined;
      }
    };
    return {
      async send(notification, ctx) {
        const vars = defusedVars(templateVars(notification));
        const people = mentionedUsers(notification.people);
        if (people.invalid.length > 0) ctx.log.warn({ people: people.invalid }, 'rocketchat contact is not a username; not mentioned');
        const message = buildMessage(notification.event, title.render(vars), text.render(vars), config, people.names);
        return pacer.run(async () => {
          const res = await ctx.http.request({
            method: 'POST',
            url: config.url,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(message),
            signal: ctx.signal,
          });
          const response = redact(res.body);
          const answer = describe(res.body);
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
          if (!failure) {
            if (answer?.success === false)
              throw permanent(`webhook answered success: false${answer.error ? `: ${answer.error}` : ''}`, { status: res.status, response });
            return { status: res.status, response };
          }
          const msg = answer?.error ? `${failure.message}: ${answer.error}` : failure.message;
          if (failure.reason === 'rate_limited') {
            const wait = rateLimitWait(res.headers, failure.retryAfterMs, ctx.clock.now());
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
