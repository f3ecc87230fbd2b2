import { classifyHttpResponse, Duration, defineReceiver, HttpUrl, parseDuration, signStandardWebhook, standardWebhookKey, Type } from '@herald/sdk';

/**
 * Generic signed webhook. POSTs `{event, receiver, attempt}` as JSON, signed
 * per the Standard Webhooks spec so any of its libraries can verify it.
 * The `webhook-id` is the delivery id, stable across retries, so a consumer
 * can drop duplicates.
 */
export default defineReceiver({
  type: 'webhook',
  version: '1.0.0',
  displayName: 'Webhook (Standard Webhooks signed)',
  docsUrl: 'https://www.standardwebhooks.com/',
  config: Type.Object(
    {
      url: HttpUrl({ description: 'where to POST; the whole URL is treated as a secret (it may carry a token)', secret: true }),
      secret: Type.Optional(
        Type.String({
          pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$',
          secret: true,
          description: 'signing key: `whsec_` + standard base64; without it requests are not signed',
        }),
      ),
      headers: Type.Optional(
        Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), Type.String(), {
          secret: true,
          additionalProperties: false,
          description: 'extra request headers (the values are secret)',
        }),
      ),
      timeout: Type.Optional(
        Duration({ description: 'limit for the whole request: DNS, connecting, sending, reading the answer (default: delivery.timeout)' }),
      ),
    },
    { additionalProperties: false },
  ),
  create(config) {
    const timeoutMs = config.timeout ? parseDuration(config.timeout) : undefined;
    const key = config.secret ? standardWebhookKey(config.secret) : undefined;
    const reserved = new Set(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);
    const custom = Object.fromEntries(Object.entries(config.headers ?? {}).filter(([k]) => !reserved.has(k.toLowerCase())));
    return {
      async send(notification, ctx) {
        const body = JSON.stringify({
          event: notification.event,
          receiver: notification.receiver,
          attempt: ctx.attempt,
          ...(notification.incident ? { incident: notification.incident } : {}),
        });
        const timestamp = Math.floor(ctx.clock.now() / 1000);
        const headers: Record<string, string> = {
          ...custom,
          'content-type': 'application/json',
          'webhook-id': notification.id,
          'webhook-timestamp': String(timestamp),
        };
        if (key) headers['webhook-signature'] = signStandardWebhook(key, notification.id, timestamp, body);
        const res = await ctx.http.request({ method: 'POST', url: config.url, headers, body, timeoutMs, signal: ctx.signal });
        const failure = classifyHttpResponse(res.status, res.headers, res.body, ctx.clock.now());
        if (failure) throw failure;
        return { status: res.status, response: res.body };
      },
    };
  },
});
