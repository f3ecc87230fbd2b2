import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  escapeZulip,
  type HeraldEvent,
  HttpUrl,
  mapStrings,
  permanent,
  rateLimited,
  Secret,
  type SendContext,
  STATUS_TITLE_TEMPLATE,
  type TemplateVars,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_TEXT = '{{ event.text }}';
const DEFAULT_TOPIC = '{{ event.title }}';

/**
 * Server defaults (`max_topic_length`, `max_message_length`, both in code
 * points): longer values would be cut by the server with its own marker.
 */
export const ZULIP_LIMITS = { topic: 60, content: 10_000, labels: 20, labelValue: 500, links: 5 };
const MARKER = '… (truncated)';

const ICONS: Record<EffectiveSeverity, string> = {
  ok: ':check:',
  critical: ':red_circle:',
  error: ':orange_circle:',
  warning: ':yellow_circle:',
  info: ':info:',
};

export function truncate(text: string, max: number, marker = MARKER): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  let out = chars.slice(0, max - [...marker].length).join('');
  if (/(^|[^\\])(\\\\)*\\$/.test(out)) out = out.slice(0, -1);
  return `${out}${marker}`;
}

function escapedVars(vars: TemplateVars): TemplateVars {
  return { ...vars, event: mapStrings(vars.event, escapeZulip), people: mapStrings(vars.people, escapeZulip) };
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

/** The message content; `title` and `text` arrive rendered with event values escaped. */
export function buildContent(event: HeraldEvent, title: string, text: string): string {
  const labels = Object.entries(event.labels).slice(0, ZULIP_LIMITS.labels);
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])]
    .map((l) => ({ title: l.title || 'Link', url: safeUrl(l.url) }))
    .filter((l): l is { title: string; url: string } => l.url !== undefined)
    .slice(0, ZULIP_LIMITS.links);
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`]
    .filter(Boolean)
    .join(' · ');
  const parts = [`${ICONS[effectiveSeverity(event)]} **${title}**`];
  if (text.trim()) parts.push(text);
  if (labels.length > 0) parts.push(labels.map(([k, v]) => `- **${escapeZulip(k)}**: ${escapeZulip(truncate(v, ZULIP_LIMITS.labelValue, '…'))}`).join('\n'));
  parts.push(`*${escapeZulip(context)}*`);
  if (links.length > 0)
    parts.push(
      links.map((l) => `[${escapeZulip(l.title)}](${l.url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)})`).join(' · '),
    );
  return truncate(parts.join('\n\n'), ZULIP_LIMITS.content);
}

interface ZulipAnswer {
  result?: string;
  msg?: string;
  code?: string;
  id?: number;
  'retry-after'?: number;
}

function parseAnswer(body: string): ZulipAnswer | undefined {
  try {
    const a = JSON.parse(body) as unknown;
    return a && typeof a === 'object' ? (a as ZulipAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Zulip, as a bot: `POST {site}/api/v1/messages`, form-encoded, HTTP Basic
 * auth with the bot's email and API key. Channel messages go to a topic per
 * incident: the first notification of an event key picks the topic (from
 * `topic_template`, the title by default) and it is kept in the receiver's
 * durable state, so the incident's repeats and its resolve land in the same
 * topic even when the title changes. Direct messages go to `to`. Zulip
 * answers `{result, msg, code}`; `RATE_LIMIT_HIT` carries `retry-after`.
 * API: https://zulip.com/api/send-message, errors: https://zulip.com/api/rest-error-handling,
 * markdown: https://zulip.com/help/format-your-message-using-markdown
 */
export default defineReceiver({
  type: 'zulip',
  version: '1.0.0',
  displayName: 'Zulip',
  docsUrl: 'https://zulip.com/api/send-message',
  config: Type.Object(
    {
      site: HttpUrl({ description: 'Zulip server (https://chat.example.com or https://example.zulipchat.com)' }),
      email: Type.String({ format: 'email', description: "the bot's email address (Personal settings → Bots)" }),
      api_key: Secret({ description: "the bot's API key; with `email` it is the Basic auth credential" }),
      channel: Type.Optional(
        Type.Union([Type.String({ minLength: 1, maxLength: 60 }), Type.Integer({ minimum: 1 })], {
          description: 'channel (stream) name or ID to post in; give `channel` or `to`',
        }),
      ),
      to: Type.Optional(
        Type.Array(Type.Union([Type.String({ format: 'email' }), Type.Integer({ minimum: 1 })]), {
          minItems: 1,
          maxItems: 20,
          description: 'direct message recipients (emails or user IDs) instead of a channel (Zulip 7.0+)',
        }),
      ),
      topic_template: Type.Optional(
        Type.String({ description: 'LiquidJS template for the topic of an incident, picked on its first notification (cut to 60 characters)' }),
      ),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); event values are Markdown-escaped' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the body; event values are Markdown-escaped' })),
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 50,
        default: 2,
        description: "pacing of this receiver's sends (Zulip's default: 200 requests per minute per user)",
      }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.channel !== undefined && config.to) return [{ path: 'to', message: 'give either channel or to, not both' }];
    if (config.channel === undefined && !config.to) return [{ path: 'channel', message: 'is required (or give to)' }];
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'none' });
    const topic = templates.compile(config.topic_template ?? DEFAULT_TOPIC, { name: 'topic_template', escape: 'none' });
    const pacer = createPacer(config.max_per_second, clock);
    const url = `${config.site.replace(/\/+$/, '')}/api/v1/messages`;
    const basic = Buffer.from(`${config.email}:${config.api_key}`).toString('base64');
    const redact = (s: string) => s.split(config.api_key).join('[redacted]').split(basic).join('[redacted]');

    const post = (form: URLSearchParams, ctx: SendContext) =>
      pacer.run(async () => {
        const res = await ctx.http.request({
          method: 'POST',
          url,
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
          body: form.toString(),
          signal: ctx.signal,
        });
        const response = redact(res.body);
        const answer = parseAnswer(res.body);
        const why = answer?.msg ? `: ${answer.code ? `${answer.code} ` : ''}${redact(answer.msg).slice(0, 300)}` : '';
        const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
        if (!failure) {
          // Zulip answers errors with 4xx; an explicit result "error" on a 2xx is a failure all the same.
          if (answer?.result === 'error') throw permanent(`Zulip answered an error${why}`, { status: res.status, response });
          return { status: res.status, response };
        }
        if (failure.reason === 'rate_limited') {
          // Zulip's Retry-After is fractional seconds ("1.5"), which the shared parser would read as a date:
          // the body's `retry-after` (seconds, a number) and a decimal header are read here first.
          const fromBody = typeof answer?.['retry-after'] === 'number' ? Math.ceil(answer['retry-after'] * 1000) : undefined;
          const header = String(res.headers['retry-after'] ?? '').trim();
          const fromHeader = /^\d+(\.\d+)?$/.test(header) ? Math.ceil(Number(header) * 1000) : failure.retryAfterMs;
          const wait = fromBody ?? fromHeader ?? 60_000;
          pacer.block(wait);
          throw rateLimited(`${failure.message}${why}`, wait, { status: res.status, response });
        }
        throw new DeliveryError(`${failure.message}${why}`, {
          reason: failure.reason,
          retryable: failure.retryable,
          retryAfterMs: failure.retryAfterMs,
          status: res.status,
          response,
        });
      }, ctx.signal);

    return {
      async send(notification, ctx) {
        const { event } = notification;
        const raw = templateVars(notification);
        const vars = escapedVars(raw);
        const form = new URLSearchParams({ content: buildContent(event, title.render(vars), text.render(vars)) });
        if (config.to) {
          form.set('type', 'direct');
          form.set('to', JSON.stringify(config.to));
          return post(form, ctx);
        }
        // One topic per incident: the first notification's topic is kept for the key.
        const stateKey = event.key ? `topic:${String(config.channel)}:${event.key}` : undefined;
        const pinned = stateKey ? await ctx.state.get(stateKey) : undefined;
        const chosen = pinned ?? (truncate(topic.render(raw).replace(/\s+/g, ' ').trim(), ZULIP_LIMITS.topic, '…') || '(no topic)');
        form.set('type', 'stream');
        form.set('to', String(config.channel));
        form.set('topic', chosen);
        const res = await post(form, ctx);
        if (stateKey && event.status === 'resolved') await ctx.state.delete(stateKey);
        else if (stateKey && !pinned) await ctx.state.set(stateKey, chosen);
        return res;
      },
    };
  },
});
