import { Bytes, defineSource, jsonBody, parseBytes, reject, requireHmac, Secret, type Static, Type } from '@herald/sdk';
import { normalizeBitbucket } from './normalize.js';

const config = Type.Object(
  {
    secret: Type.Optional(Secret({ description: 'the webhook\'s "Secret" in Bitbucket; Bitbucket signs each delivery with it (X-Hub-Signature: sha256=…)' })),
    allow_unauthenticated: Type.Optional(
      Type.Boolean({ description: 'accept unsigned deliveries (a webhook without a secret); not recommended, required when no secret is set' }),
    ),
    events: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'X-Event-Key values to keep (default: all); others are acknowledged and ignored' }),
    ),
    max_body: Type.Optional(Bytes({ description: 'largest accepted body (Bitbucket caps payloads at 256 KB; default: server.body_limit)' })),
  },
  { additionalProperties: false },
);

/**
 * Bitbucket Cloud repository/workspace webhooks. With a secret, every delivery
 * must carry `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the raw body>`;
 * `X-Event-Key` picks the mapping, and `X-Request-UUID` (repeated on
 * Bitbucket's automatic retries) makes a retried delivery stored once.
 */
export default defineSource({
  type: 'bitbucket',
  version: '1.0.0',
  displayName: 'Bitbucket Cloud webhooks',
  docsUrl: 'https://support.atlassian.com/bitbucket-cloud/docs/event-payloads/',
  config,
  validate(c: Static<typeof config>) {
    if (!c.secret && c.allow_unauthenticated !== true) {
      return [{ path: 'secret', message: 'give the webhook secret (or allow_unauthenticated: true) so strangers cannot post events' }];
    }
    if (c.secret && c.allow_unauthenticated === true) {
      return [{ path: 'allow_unauthenticated', message: 'a secret is set, so deliveries are always verified: remove allow_unauthenticated' }];
    }
    return [];
  },
  create(c) {
    return {
      kind: 'http',
      maxBodyBytes: c.max_body === undefined ? undefined : parseBytes(c.max_body),
      handle(req) {
        if (c.secret) requireHmac(req, 'X-Hub-Signature', { secret: c.secret, algorithm: 'sha256', encoding: 'hex', prefix: 'sha256=' });
        const eventKey = req.headers['x-event-key']?.trim();
        if (!eventKey) throw reject.malformed('missing X-Event-Key header: Bitbucket names the event there (e.g. "repo:push")');
        const payload = jsonBody(req);
        if (!payload || typeof payload !== 'object' || Array.isArray(payload))
          throw reject.malformed('body must be a JSON object (a Bitbucket webhook payload)');
        if (c.events && !c.events.includes(eventKey)) return [];
        // Bitbucket Cloud names the request X-Request-UUID; Bitbucket Data Center, X-Request-Id.
        const deliveryId = req.headers['x-request-uuid']?.trim() || req.headers['x-request-id']?.trim() || undefined;
        return { events: normalizeBitbucket(eventKey, payload), deliveryId };
      },
    };
  },
});
