import { Bytes, Duration, defineSource, jsonBody, parseBytes, parseDuration, reject, requireHmac, Secret, type Static, Type } from '@herald/sdk';
import { normalizeSentry } from './normalize.js';

const config = Type.Object(
  {
    client_secret: Secret({ description: "the integration's Client Secret (Settings → Developer Settings → your integration)" }),
    tolerance: Duration({ default: '5m', description: 'how far Sentry-Hook-Timestamp may be from now before a request is refused as a replay' }),
    max_body: Type.Optional(Bytes({ description: 'largest accepted body (default: server.body_limit)' })),
  },
  { additionalProperties: false },
);

/**
 * Sentry integration-platform webhooks (an internal or public integration).
 * `Sentry-Hook-Signature` is the hex HMAC-SHA256 of the raw body keyed with the
 * Client Secret; `Sentry-Hook-Timestamp` (Unix seconds) must be recent;
 * `Request-ID` names the delivery so a re-sent one is stored once.
 */
export default defineSource({
  type: 'sentry',
  version: '1.0.0',
  displayName: 'Sentry integration webhooks',
  docsUrl: 'https://docs.sentry.io/organization/integrations/integration-platform/webhooks/',
  config,
  validate(c: Static<typeof config>) {
    if (parseDuration(c.tolerance) < 1000) return [{ path: 'tolerance', message: 'must be at least 1s' }];
    return [];
  },
  create(c, ctx) {
    const toleranceMs = parseDuration(c.tolerance);
    return {
      kind: 'http',
      maxBodyBytes: c.max_body === undefined ? undefined : parseBytes(c.max_body),
      handle(req) {
        requireHmac(req, 'Sentry-Hook-Signature', { secret: c.client_secret, algorithm: 'sha256', encoding: 'hex' });
        const ts = req.headers['sentry-hook-timestamp']?.trim();
        if (!ts) throw reject.unauthorized('missing Sentry-Hook-Timestamp header: Sentry sends the send time with every webhook');
        if (!/^\d{1,12}(\.\d+)?$/.test(ts)) throw reject.unauthorized('Sentry-Hook-Timestamp must be Unix seconds');
        const skew = Math.abs(ctx.clock.now() - Number(ts) * 1000);
        if (skew > toleranceMs) {
          throw reject.unauthorized(
            `Sentry-Hook-Timestamp is ${Math.round(skew / 1000)} s from now (more than ${toleranceMs / 1000} s): refused as a possible replay`,
          );
        }
        const resource = req.headers['sentry-hook-resource']?.trim();
        if (!resource) throw reject.malformed('missing Sentry-Hook-Resource header: Sentry names the resource (issue, event_alert, metric_alert …) there');
        const payload = jsonBody(req);
        if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw reject.malformed('body must be a JSON object (a Sentry webhook payload)');
        return { events: normalizeSentry(resource, payload), deliveryId: req.headers['request-id']?.trim() || undefined };
      },
    };
  },
});
