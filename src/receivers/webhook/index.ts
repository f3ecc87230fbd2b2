import { classifyHttpResponse, Duration, defineReceiver, HttpUrl, parseDuration, Type } from '@herald/sdk';
import { signingKey, signStandardWebhook } from './signature.js';

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
      url: HttpUrl({ description: 'where to POST; may carry a token, so it is treated as a secret', secret: true }),
      secret: Type.Optional(Type.String({ pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$', secret: true, description: 'whsec_ + base64 key; signs every request' })),
      headers: Type.Optional(
        Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), Type.String(), { secret: true, additionalProperties: false }),
      ),
      timeout: Type.Optional(Duration({ description: 'per-request timeout (default: delivery.timeout)' })),
    },
    { additionalProperties: false },
  ),
  create(config) {
    const timeoutMs = config.timeout ? parseDuration(config.timeout) : undefined;
    const key = config.secret ? signingKey(config.secret) : undefined;
    const reserved = new Set(['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature']);
    const custom = Object.fromEntries(Object.entries(config.headers ?? {}).filter(([k]) => !reserved.has(k.toLowerCase())));
    return {
      async send(notification, ctx) {
        const body = JSON.stringify({ event: notification.event, receiver: notification.receiver, attempt: ctx.attempt });
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
