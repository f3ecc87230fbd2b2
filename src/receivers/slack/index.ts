import {
  createPacer,
  DeliveryError,
  defineReceiver,
  HttpUrl,
  pacedJsonPost,
  permanent,
  retryable,
  Secret,
  type SendContext,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';
import { buildMessage } from './message.js';

const DEFAULT_TITLE = `${STATUS_TITLE_TEMPLATE}{% if incident and incident.times_seen > 1 %} ({{ incident.times_seen }} times seen){% endif %}`;
// Attached people with a Slack member ID are mentioned, so whoever is on call gets notified.
const DEFAULT_TEXT =
  '{{ event.text }}{% assign ids = people | map: "contacts" | map: "slack" | compact %}{% if ids.size > 0 %}\ncc{% for id in ids %} <@{{ id }}>{% endfor %}{% endif %}';

/** chat.postMessage answers HTTP 200 with {ok:false, error}; these are worth retrying. */
const RETRYABLE_API_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);
/** chat.update cannot change the message any more: post a new one instead. */
const UPDATE_GONE = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
const AUTH_API_ERRORS = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'no_permission', 'missing_scope']);

/**
 * Slack, through an incoming webhook (`url`) or a bot token with
 * `chat.postMessage` (`token` + `channel`). Messages use Block Kit inside a
 * severity-coloured attachment. Event text is escaped for mrkdwn, so an event
 * cannot ping `<!channel>` or add links. Sends are paced per receiver
 * (Slack allows about one message per second per webhook) and a 429's
 * Retry-After holds back every send to that target.
 * API: https://api.slack.com/messaging/webhooks, https://api.slack.com/methods/chat.postMessage
 */
export default defineReceiver({
  type: 'slack',
  version: '1.0.0',
  displayName: 'Slack',
  docsUrl: 'https://api.slack.com/messaging/webhooks',
  contact: {
    field: 'slack',
    pattern: /^[UW][A-Z0-9]{2,}$/,
    description: 'a Slack member ID',
    example: 'U024BE7LH',
    hint: 'Profile → ⋮ → Copy member ID',
  },
  config: Type.Object(
    {
      url: Type.Optional(HttpUrl({ secret: true, description: 'incoming webhook URL (https://hooks.slack.com/services/…); give `url` or `token`' })),
      token: Type.Optional(Secret({ description: 'bot token (xoxb-…, scope chat:write) for chat.postMessage; give `url` or `token`' })),
      channel: Type.Optional(Type.String({ minLength: 1, description: 'channel ID (or name); required with `token`' })),
      api_url: HttpUrl({ description: 'Web API base URL (tests, GovSlack)', default: 'https://slack.com/api' }),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the first line (bold); values are escaped for mrkdwn' })),
      text_template: Type.Optional(Type.String({ description: 'LiquidJS template for the body; values are escaped for mrkdwn' })),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 1, description: "pacing of this receiver's sends" }),
    },
    { additionalProperties: false },
  ),
  validate(config) {
    if (config.url && config.token) return [{ path: 'token', message: 'give either url (incoming webhook) or token + channel (chat.postMessage), not both' }];
    if (!config.url && !config.token) return [{ path: 'url', message: 'is required (or give token + channel)' }];
    if (config.token && !config.channel) return [{ path: 'channel', message: 'is required with token' }];
    return [];
  },
  create(config, { templates, clock }) {
    const title = templates.compile(config.title_template ?? DEFAULT_TITLE, { name: 'title_template', escape: 'slack' });
    const text = templates.compile(config.text_template ?? DEFAULT_TEXT, { name: 'text_template', escape: 'slack' });
    const pacer = createPacer(config.max_per_second, clock);
    const apiUrl = config.api_url.replace(/\/$/, '');
    const post = (url: string, headers: Record<string, string>, payload: object, ctx: SendContext) => pacedJsonPost(pacer, ctx, url, payload, headers);
    /** One Web API call: HTTP errors classified, then Slack's own {ok, error}. */
    const callApi = async (method: string, payload: object, ctx: SendContext) => {
      const res = await post(
        `${apiUrl}/${method}`,
        { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${config.token}` },
        payload,
        ctx,
      );
      let answer: { ok?: boolean; error?: string; ts?: string; channel?: string };
      try {
        answer = JSON.parse(res.body) as typeof answer;
      } catch {
        throw retryable(`${method} answered HTTP ${res.status} with a body that is not JSON`, { status: res.status, response: res.body });
      }
      if (answer.ok) return { status: res.status, response: res.body, answer };
      const code = answer.error ?? 'unknown_error';
      if (RETRYABLE_API_ERRORS.has(code)) throw retryable(`${method}: ${code}`, { status: res.status, response: res.body });
      if (AUTH_API_ERRORS.has(code))
        throw new DeliveryError(`${method}: ${code}`, { reason: 'auth', retryable: false, status: res.status, response: res.body });
      throw permanent(`${method}: ${code}`, { status: res.status, response: res.body });
    };
    return {
      async send(notification, ctx) {
        const vars = templateVars(notification);
        const message = buildMessage(notification.event, title.render(vars), text.render(vars));
        if (!config.token) {
          const res = await post(config.url as string, { 'content-type': 'application/json' }, message, ctx);
          return { status: res.status, response: res.body };
        }
        // Web API: a resolve updates the message its trigger posted, when Slack still allows it.
        const { event } = notification;
        const stateKey = event.key ? `message:${event.key}` : undefined;
        if (stateKey && event.status === 'resolved') {
          const prior = await ctx.state.get(stateKey);
          if (prior) {
            const { channel, ts } = JSON.parse(prior) as { channel: string; ts: string };
            try {
              const res = await callApi('chat.update', { channel, ts, ...message }, ctx);
              await ctx.state.delete(stateKey);
              return res;
            } catch (err) {
              if (!(err instanceof DeliveryError && UPDATE_GONE.has(err.message.replace('chat.update: ', '')))) throw err;
              await ctx.state.delete(stateKey);
            }
          }
        }
        const res = await callApi('chat.postMessage', { channel: config.channel, ...message }, ctx);
        if (stateKey && event.status === 'firing' && res.answer.ts && res.answer.channel) {
          await ctx.state.set(stateKey, JSON.stringify({ channel: res.answer.channel, ts: res.answer.ts }));
        }
        return { status: res.status, response: res.response };
      },
    };
  },
});
