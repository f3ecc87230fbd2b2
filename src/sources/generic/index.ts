import {
  Bytes,
  compileMapping,
  defineSource,
  type EventInput,
  EventMappingSchema,
  jsonBody,
  parseBytes,
  reject,
  requireHmac,
  requireStandardWebhook,
  requireToken,
  Secret,
  type Static,
  Type,
} from '@herald/sdk';

const config = Type.Object(
  {
    mapping: Type.Optional(EventMappingSchema),
    token: Type.Optional(Secret({ description: 'shared token the sender puts in `token_header` (Authorization: Bearer … by default)', minLength: 16 })),
    token_header: Type.String({ minLength: 1, default: 'authorization', description: 'header carrying the token' }),
    hmac: Type.Optional(
      Type.Object(
        {
          secret: Secret({ description: 'HMAC key' }),
          header: Type.String({ minLength: 1, description: 'header carrying the signature, e.g. X-Signature' }),
          algorithm: Type.Enum(['sha1', 'sha256', 'sha512'], { default: 'sha256' }),
          encoding: Type.Enum(['hex', 'base64'], { default: 'hex' }),
          prefix: Type.Optional(Type.String({ description: 'text before the digest, e.g. sha256=' })),
        },
        { additionalProperties: false, description: 'verify an HMAC of the raw body' },
      ),
    ),
    standard_webhooks: Type.Optional(
      Type.Object(
        {
          secret: Secret({ description: 'whsec_… signing secret' }),
          tolerance: Type.Integer({ minimum: 1, maximum: 3600, default: 300, description: 'seconds a timestamp may differ from now' }),
        },
        { additionalProperties: false, description: 'verify Standard Webhooks signatures (webhook-id/-timestamp/-signature)' },
      ),
    ),
    allow_unauthenticated: Type.Optional(Type.Boolean({ description: 'accept requests with no verification at all (not recommended)' })),
    max_body: Type.Optional(Bytes({ description: 'largest accepted body (default: server.body_limit)' })),
  },
  { additionalProperties: false },
);

/**
 * Any JSON sender. Without `mapping`, the body must already be a Herald event
 * (or a list of them); with one, LiquidJS templates map the sender's payload.
 */
export default defineSource({
  type: 'generic',
  version: '1.0.0',
  displayName: 'Generic JSON webhook',
  docsUrl: 'https://www.standardwebhooks.com/',
  config,
  validate(c: Static<typeof config>) {
    const methods = [c.token, c.hmac, c.standard_webhooks].filter(Boolean).length;
    if (methods === 0 && !c.allow_unauthenticated) {
      return [{ path: 'token', message: 'give token, hmac or standard_webhooks (or allow_unauthenticated: true) so strangers cannot post events' }];
    }
    if (methods > 1) return [{ path: 'token', message: 'give only one of token, hmac, standard_webhooks' }];
    return [];
  },
  create(c, ctx) {
    const map = c.mapping ? compileMapping(c.mapping, ctx.templates, 'mapping') : undefined;
    return {
      kind: 'http',
      maxBodyBytes: c.max_body === undefined ? undefined : parseBytes(c.max_body),
      handle(req) {
        let deliveryId: string | undefined;
        if (c.token) requireToken(req, c.token_header, c.token);
        if (c.hmac) requireHmac(req, c.hmac.header, c.hmac);
        if (c.standard_webhooks) deliveryId = requireStandardWebhook(req, c.standard_webhooks.secret, ctx.clock.now(), c.standard_webhooks.tolerance);
        deliveryId ??= req.headers['idempotency-key'];
        const payload = jsonBody(req);
        if (map) return { events: map({ payload, headers: req.headers, source: ctx.name }), deliveryId };
        const list = Array.isArray(payload) ? payload : [payload];
        for (const [i, e] of list.entries()) {
          if (!e || typeof e !== 'object' || typeof (e as { title?: unknown }).title !== 'string') {
            throw reject.malformed(
              `${Array.isArray(payload) ? `[${i}]` : 'body'}: not a Herald event (needs a string title); configure a mapping for other payloads`,
            );
          }
        }
        return { events: list as EventInput[], deliveryId };
      },
    };
  },
});
