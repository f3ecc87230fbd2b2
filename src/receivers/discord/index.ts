import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  type HttpResponse,
  HttpUrl,
  rateLimited,
  type SendContext,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';
import { buildMessage } from './message.js';

const DEFAULT_TEXT = '{{ event.text }}';

const header = (res: HttpResponse, name: string) => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Seconds (float) → ms, or undefined. */
const seconds = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.ceil(n * 1000) : undefined;
};

/**
 * A 429's wait: the body's `retry_after` (seconds, float: the precise value)
 * when the body is Discord's JSON, else the `Retry-After` header.
 */
function retryAfterOf(res: HttpResponse, fallback: number | undefined): number | undefined {
  try {
    const body = JSON.parse(res.body) as { retry_after?: unknown };
    const ms = seconds(body.retry_after);
    if (ms !== undefined) return ms;
  } catch {
    // not JSON (a proxy, Cloudflare): the header says it
  }
  return fallback;
}

/** The id of the message Discord saved (answered with `?wait=true`). */
function messageIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' && /^\d{17,20}$/.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Discord, through a channel webhook (Execute Webhook). One embed per
 * notification, coloured by severity; event text is Markdown-escaped and
 * `allowed_mentions: {parse: []}` is always sent, so an event can neither
 * format, link, nor ping `@everyone`, `@here`, a role or a user. Sends are
 * paced per receiver and follow Discord's rate-limit headers: an exhausted
 * bucket (`X-RateLimit-Remaining: 0`) holds sends back for
 * `X-RateLimit-Reset-After`, and a 429 for its `retry_after`. A resolve edits
 * the message its incident's firing notification posted (message id kept per
 * key in the receiver's durable state), so the channel shows one message per
 * incident that turns green.
 * API: https://discord.com/developers/docs/resources/webhook#execute-webhook,
 * https://discord.com/developers/docs/resources/webhook#edit-webhook-message
 */
export default defineReceiver({
  type: 'discord',
  version: '1.0.0',
  displayName: 'Discord',
  docsUrl: 'https://discord.com/developers/docs/resources/webhook#execute-webhook',
  config: Type.Object(
    {
      url: HttpUrl({ secret: true, description: 'webhook URL (https://discord.com/api/webhooks/{id}/{token}); it contains the token' }),
      username: Type.Optional(
        Type.String({ minLength: 1, maxLength: 80, description: "overrides the webhook's name (1–80 characters; Discord refuses names containing `discord`)" }),
      ),
      avatar_url: Type.Optional(HttpUrl({ description: "overrides the webhook's avatar" })),
      thread_id: Type.Optional(Type.String({ pattern: '^\\d{17,20}$', description: 'post into this thread of the webhook’s channel (a snowflake ID)' })),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the embed title (cut to 256 characters); values are Markdown-escaped' })),
      text_template: Type.Optional(
        Type.String({ description: 'LiquidJS template for the embed description (cut to 4,096 characters); values are Markdown-escaped' }),
      ),
      max_per_second: Type.Number({
        exclusiveMinimum: 0,
        maximum: 50,
        default: 2,
        description: "pacing of this receiver's sends; Discord's rate-limit headers still apply",
      }),
      update_on_resolve: Type.Boolean({
        default: true,
        description: 'a resolve edits the message its incident last posted (green, resolved) instead of posting a new one',
      }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.username && /discord|clyde/i.test(config.username))
      return [{ path: 'username', message: 'must not contain "discord" or "clyde" (Discord refuses it)' }];
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'markdown' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'markdown' });
    const pacer = createPacer(config.max_per_second, clock);
    const target = new URL(config.url);
    // wait=true: Discord answers 200 only once the message is saved, or an error if it was not.
    target.searchParams.set('wait', 'true');
    if (config.thread_id) target.searchParams.set('thread_id', config.thread_id);
    const url = target.toString();
    /** Edit Webhook Message: PATCH /webhooks/{id}/{token}/messages/{message.id}, in the same thread. */
    const editUrl = (messageId: string) => {
      const u = new URL(config.url);
      u.pathname = `${u.pathname.replace(/\/$/, '')}/messages/${messageId}`;
      if (config.thread_id) u.searchParams.set('thread_id', config.thread_id);
      return u.toString();
    };
    const post = (payload: object, ctx: SendContext, method: 'POST' | 'PATCH' = 'POST', to = url) =>
      pacer.run(async () => {
        const res = await ctx.http.request({
          method,
          url: to,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: ctx.signal,
        });
        // The bucket is empty: hold back the next send until it refills, instead of earning a 429.
        if (header(res, 'x-ratelimit-remaining') === '0') {
          const resetMs = seconds(header(res, 'x-ratelimit-reset-after'));
          if (resetMs !== undefined) pacer.block(resetMs);
        }
        let failure: DeliveryError | undefined = classifyHttpResponse(res.status, res.headers, res.body, ctx.clock.now());
        if (failure?.reason === 'rate_limited') {
          const wait = retryAfterOf(res, failure.retryAfterMs);
          failure = rateLimited(`rate limited: HTTP ${res.status}`, wait, { status: res.status, response: res.body });
          pacer.block(wait ?? 1000);
        }
        if (failure) throw failure;
        return res;
      }, ctx.signal);
    return {
      async send(notification, ctx) {
        const vars = templateVars(notification);
        const message = buildMessage(notification.event, title.render(vars), text.render(vars), {
          username: config.username,
          avatar_url: config.avatar_url,
        });
        const { event } = notification;
        const stateKey = event.key && config.update_on_resolve !== false ? `message:${event.key}` : undefined;
        if (stateKey && event.status === 'resolved') {
          const prior = await ctx.state.get(stateKey);
          if (prior) {
            // Username and avatar belong to the message as posted; an edit may change content, embeds and mentions only.
            const { username: _u, avatar_url: _a, ...edit } = message;
            try {
              const res = await post(edit, ctx, 'PATCH', editUrl(prior));
              await ctx.state.delete(stateKey);
              return { status: res.status, response: res.body };
            } catch (err) {
              // 10008 Unknown Message: deleted in Discord meanwhile — post the resolve as a new message.
              if (!(err instanceof DeliveryError && err.status === 404 && /"code":\s*10008/.test(err.response ?? ''))) throw err;
              await ctx.state.delete(stateKey);
            }
          }
        }
        const res = await post(message, ctx);
        if (stateKey && event.status === 'firing') {
          const id = messageIdOf(res.body);
          if (id) await ctx.state.set(stateKey, id);
        }
        return { status: res.status, response: res.body };
      },
    };
  },
});
