import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type EffectiveSeverity,
  effectiveSeverity,
  escapeHtml,
  type HeraldEvent,
  HttpUrl,
  permanent,
  rateLimited,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';
import { truncateHtml } from './html.js';

/** sendMessage: `text` is 1–4,096 characters after entities parsing. */
export const TELEGRAM_LIMITS = { text: 4096 };
const MARKER = '… (truncated)';

const DEFAULT_TEXT = '{{ event.text }}';

const ICONS: Record<EffectiveSeverity, string> = { ok: '✅', critical: '🔴', error: '🟠', warning: '🟡', info: 'ℹ️' };

/**
 * One HTML message: bold title, text, labels, a context line and links.
 * `title` and `text` arrive rendered with every value HTML-escaped; the rest is escaped here.
 */
export function buildText(event: HeraldEvent, title: string, text: string): string {
  const icon = ICONS[effectiveSeverity(event)];
  const parts = [`${icon} <b>${title}</b>`];
  if (text.trim()) parts.push(text);
  const labels = Object.entries(event.labels);
  if (labels.length > 0) parts.push(labels.map(([k, v]) => `<b>${escapeHtml(k)}</b>: ${escapeHtml(v)}`).join('\n'));
  const context = [event.status.toUpperCase(), event.severity, event.source && `source: ${event.source}`, event.key && `key: ${event.key}`].filter(Boolean);
  parts.push(`<i>${escapeHtml(context.join(' · '))}</i>`);
  const links = [...(event.url ? [{ title: 'Open', url: event.url }] : []), ...(event.links ?? [])];
  if (links.length > 0) parts.push(links.map((l) => `<a href="${escapeHtml(l.url)}">${escapeHtml(l.title || 'Link')}</a>`).join(' · '));
  return parts.join('\n\n');
}

interface TelegramAnswer {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

function parseAnswer(body: string): TelegramAnswer | undefined {
  try {
    const a = JSON.parse(body) as unknown;
    return a && typeof a === 'object' ? (a as TelegramAnswer) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Telegram Bot API `sendMessage` in HTML parse mode. Event values are
 * HTML-escaped, so an event cannot add tags or links; the text is cut to
 * 4,096 characters after entities parsing. Sends are paced per receiver
 * (Telegram: about 1 message per second per chat, 20 per minute per group),
 * and a 429's `parameters.retry_after` holds back every send.
 * API: https://core.telegram.org/bots/api#sendmessage
 */
export default defineReceiver({
  type: 'telegram',
  version: '1.0.0',
  displayName: 'Telegram (Bot API)',
  docsUrl: 'https://core.telegram.org/bots/api#sendmessage',
  config: Type.Object(
    {
      token: Type.String({
        pattern: '^[0-9]+:[A-Za-z0-9_-]{30,}$',
        secret: true,
        description: 'bot token from @BotFather (`123456789:AA…`); it is part of the request path',
      }),
      chat_id: Type.Union([Type.Integer(), Type.String({ pattern: '^(-?[0-9]+|@[A-Za-z][A-Za-z0-9_]{3,})$' })], {
        description: 'target chat: numeric id (groups are negative, e.g. `-1001234567890`) or `@channelusername`',
      }),
      message_thread_id: Type.Optional(Type.Integer({ minimum: 1, description: 'forum topic to post in (forum supergroups)' })),
      api_url: HttpUrl({ description: 'Bot API server (tests, a local Bot API server)', default: 'https://api.telegram.org' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); values are HTML-escaped' })),
      text_template: Type.Optional(
        Type.String({ description: 'LiquidJS template for the body; values are HTML-escaped, the template may use Telegram’s HTML tags' }),
      ),
      disable_link_preview: Type.Boolean({ default: true, description: 'send `link_preview_options: {is_disabled: true}`' }),
      disable_notification: Type.Boolean({ default: false, description: 'deliver silently (no sound)' }),
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 30,
        default: 1,
        description: "pacing of this receiver's sends (Telegram: ~1/s per chat, 20/min per group)",
      }),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'html' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'html' });
    const pacer = createPacer(config.max_per_second, clock);
    const url = `${config.api_url.replace(/\/$/, '')}/bot${config.token}/sendMessage`;
    const redact = (s: string) => s.split(config.token).join('[redacted]');
    return {
      async send(notification, ctx) {
        const vars = templateVars(notification);
        const html = truncateHtml(buildText(notification.event, title.render(vars), text.render(vars)), TELEGRAM_LIMITS.text, MARKER);
        const payload: Record<string, unknown> = { chat_id: config.chat_id, text: html, parse_mode: 'HTML' };
        if (config.message_thread_id !== undefined) payload.message_thread_id = config.message_thread_id;
        if (config.disable_link_preview) payload.link_preview_options = { is_disabled: true };
        if (config.disable_notification) payload.disable_notification = true;
        return pacer.run(async () => {
          const res = await ctx.http.request({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(payload),
            signal: ctx.signal,
          });
          const response = redact(res.body);
          const answer = parseAnswer(res.body);
          if (res.status >= 200 && res.status < 300) {
            // Telegram answers {ok: true, result: Message}; an explicit ok:false is a failure.
            if (answer?.ok === false) throw permanent(`sendMessage: ${answer.description ?? 'not ok'}`, { status: res.status, response });
            return { status: res.status, response };
          }
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
          if (!failure) return { status: res.status, response };
          const why = answer?.description ? `: ${redact(answer.description).slice(0, 300)}` : '';
          if (failure.reason === 'rate_limited') {
            const after = answer?.parameters?.retry_after;
            const ms = typeof after === 'number' && after >= 0 ? after * 1000 : (failure.retryAfterMs ?? 1000);
            pacer.block(ms);
            throw rateLimited(`sendMessage rate limited${why}`, ms, { status: res.status, response });
          }
          const migrated = answer?.parameters?.migrate_to_chat_id;
          if (migrated !== undefined)
            throw permanent(`sendMessage: the group became a supergroup; set chat_id to ${migrated}`, { status: res.status, response });
          throw new DeliveryError(`${failure.message}${why}`, {
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
