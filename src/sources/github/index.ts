import { Bytes, defineSource, jsonBody, parseBytes, reject, requireHmac, Secret, Type } from '@herald/sdk';
import { normalizeGitHub } from './normalize.js';

/**
 * GitHub repository/organization webhooks. Deliveries are signed with
 * `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the hook's secret);
 * `X-GitHub-Delivery` identifies a delivery, so a redelivery is stored once.
 */
export default defineSource({
  type: 'github',
  version: '1.0.0',
  displayName: 'GitHub webhooks',
  docsUrl: 'https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries',
  config: Type.Object(
    {
      secret: Secret({ description: "the webhook's secret (Settings → Webhooks → Secret)" }),
      events: Type.Optional(
        Type.Array(Type.String({ minLength: 1 }), { description: 'X-GitHub-Event names to keep (default: all); others are acknowledged and ignored' }),
      ),
      max_body: Type.Optional(Bytes({ description: 'largest accepted body (GitHub caps payloads at 25 MB; default: server.body_limit)' })),
    },
    { additionalProperties: false },
  ),
  create(config) {
    return {
      kind: 'http',
      maxBodyBytes: config.max_body === undefined ? undefined : parseBytes(config.max_body),
      handle(req) {
        requireHmac(req, 'X-Hub-Signature-256', { secret: config.secret, algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
        const eventName = req.headers['x-github-event'];
        if (!eventName) throw reject.malformed('missing X-GitHub-Event header');
        const payload = jsonBody(req);
        if (config.events && !config.events.includes(eventName)) return [];
        return { events: normalizeGitHub(eventName, payload), deliveryId: req.headers['x-github-delivery'] };
      },
    };
  },
});
