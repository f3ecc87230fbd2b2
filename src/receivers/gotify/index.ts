import {
  classifyHttpResponse,
  createPacer,
  DeliveryError,
  defineReceiver,
  effectiveSeverity,
  HttpUrl,
  rateLimited,
  Secret,
  STATUS_TITLE_TEMPLATE,
  Type,
  templateVars,
} from '@herald/sdk';

const DEFAULT_MESSAGE = '{{ event.text | default: event.title }}';

/** Gotify priorities run 0–10; the Android app notifies silently up to 3, with sound from 4, and pops up from 8. */
const priority = (value: number, description: string) => Type.Integer({ minimum: 0, maximum: 10, default: value, description });

/** Gotify errors are `{"error": "Unauthorized", "errorCode": 401, "errorDescription": "…"}`. */
function describeError(body: string): string | undefined {
  try {
    const a = JSON.parse(body) as { error?: unknown; errorDescription?: unknown };
    const text = [a.error, a.errorDescription].filter((s) => typeof s === 'string' && s !== '').join(': ');
    return text === '' ? undefined : text.slice(0, 300);
  } catch {
    return undefined;
  }
}

/**
 * Gotify, the self-hosted push server: `POST {server}/message` with the
 * application token in the `X-Gotify-Key` header (the documented alternative
 * to `?token=`, which would put the secret into URLs and access logs). The
 * priority comes from the effective severity; `extras` carry the Markdown
 * content type and the event URL as the notification's click target.
 * API: https://gotify.net/api-docs#/message/createMessage, extras: https://gotify.net/docs/msgextras
 */
export default defineReceiver({
  type: 'gotify',
  version: '1.0.0',
  displayName: 'Gotify',
  docsUrl: 'https://gotify.net/api-docs#/message/createMessage',
  config: Type.Object(
    {
      url: HttpUrl({ description: 'Gotify server base URL (https://gotify.example.com); Herald posts to `{url}/message`' }),
      token: Secret({ description: 'application token (Apps → create application), sent as `X-Gotify-Key`' }),
      markdown: Type.Boolean({ default: false, description: 'render the message as Markdown (`client::display`); event values are then Markdown-escaped' }),
      priorities: Type.Object(
        {
          critical: priority(10, 'priority of critical events'),
          error: priority(8, 'priority of error events and firing events without severity'),
          warning: priority(5, 'priority of warning events'),
          info: priority(3, 'priority of info events'),
          ok: priority(2, 'priority of resolved events'),
        },
        { additionalProperties: false, default: {}, description: 'Gotify priority (0–10) by effective severity' },
      ),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the title' })),
      message_template: Type.Optional(Type.String({ description: 'LiquidJS template for the message; values are Markdown-escaped when `markdown` is on' })),
      max_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 10, description: "pacing of this receiver's sends" }),
    },
    { additionalProperties: false },
  ),
  create(config, { templates, clock }) {
    const messageEscape = config.markdown ? 'markdown' : 'none';
    const title = templates.compile(config.title_template ?? STATUS_TITLE_TEMPLATE, { name: 'title_template', escape: 'none' });
    const message = templates.compile(config.message_template ?? DEFAULT_MESSAGE, { name: 'message_template', escape: messageEscape });
    const pacer = createPacer(config.max_per_second, clock);
    const url = `${config.url.replace(/\/+$/, '')}/message`;
    const redact = (s: string) => s.split(config.token).join('[redacted]');
    return {
      async send(notification, ctx) {
        const { event } = notification;
        const vars = templateVars(notification);
        const extras: Record<string, unknown> = { 'client::display': { contentType: config.markdown ? 'text/markdown' : 'text/plain' } };
        if (event.url) extras['client::notification'] = { click: { url: event.url } };
        const payload = {
          title: title.render(vars),
          // Gotify refuses an empty message ("Field 'message' is required").
          message: message.render(vars) || event.title,
          priority: config.priorities[effectiveSeverity(event)],
          extras,
        };
        return pacer.run(async () => {
          const res = await ctx.http.request({
            method: 'POST',
            url,
            headers: { 'content-type': 'application/json', 'x-gotify-key': config.token },
            body: JSON.stringify(payload),
            signal: ctx.signal,
          });
          const response = redact(res.body);
          const failure = classifyHttpResponse(res.status, res.headers, response, ctx.clock.now());
          if (!failure) return { status: res.status, response };
          const why = describeError(res.body);
          const msg = why ? `${failure.message}: ${redact(why)}` : failure.message;
          if (failure.reason === 'rate_limited') {
            pacer.block(failure.retryAfterMs ?? 1000);
            throw rateLimited(msg, failure.retryAfterMs, { status: res.status, response });
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
