import { Bytes, defineSource, type HttpSourceRequest, jsonBody, parseBytes, reject, requireToken, Secret, type Static, safeEqual, Type } from '@herald/sdk';
import { DatadogPayloadError, normalizeDatadog } from './normalize.js';

const config = Type.Object(
  {
    token: Type.Optional(Secret({ description: 'shared token Datadog sends in a custom header (`Authorization: Bearer <token>` by default)', minLength: 16 })),
    token_header: Type.String({
      minLength: 1,
      default: 'authorization',
      description: 'header carrying the token (a Bearer prefix is stripped in authorization)',
    }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'basic auth user (the user in the webhook URL, https://user:password@…)' })),
    password: Type.Optional(Secret({ description: 'basic auth password' })),
    allow_unauthenticated: Type.Optional(Type.Boolean({ description: 'accept requests without credentials (not recommended)' })),
    max_body: Type.Optional(Bytes({ description: 'largest accepted body (default: server.body_limit)' })),
  },
  { additionalProperties: false },
);

type Config = Static<typeof config>;

function requireBasic(req: HttpSourceRequest, username: string, password: string): void {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization?.trim() ?? '');
  if (!m) throw reject.unauthorized('missing Basic Authorization header: put the user and password in the webhook URL (https://user:password@host/…)');
  if (!safeEqual(Buffer.from(m[1] as string, 'base64').toString('utf8'), `${username}:${password}`)) throw reject.unauthorized('wrong username or password');
}

/**
 * Datadog's Webhooks integration. The body is the webhook's Payload template
 * with Datadog's variables filled in (docs/sources/datadog.md recommends one);
 * `$ALERT_TRANSITION` gives the lifecycle and `$AGGREG_KEY` the incident key,
 * and `$ID` makes a retried notification stored once.
 */
export default defineSource({
  type: 'datadog',
  version: '1.0.0',
  displayName: 'Datadog webhooks',
  docsUrl: 'https://docs.datadoghq.com/integrations/webhooks/',
  config,
  validate(c: Config) {
    const issues: { path: string; message: string }[] = [];
    if (Boolean(c.username) !== Boolean(c.password)) issues.push({ path: 'password', message: 'username and password go together' });
    const hasAuth = Boolean(c.token) || Boolean(c.username && c.password);
    if (!hasAuth && !c.allow_unauthenticated && !c.username && !c.password) {
      issues.push({ path: 'token', message: 'give token or username + password (or allow_unauthenticated: true) so strangers cannot post alerts' });
    }
    if (hasAuth && c.allow_unauthenticated) {
      issues.push({ path: 'allow_unauthenticated', message: 'credentials are set, so requests are always checked: remove allow_unauthenticated' });
    }
    // Compared with the schema's default: the loader has filled it in, so only a header the user chose is "given".
    if (c.token_header !== (config.properties.token_header as { default?: unknown }).default && !c.token)
      issues.push({ path: 'token_header', message: 'token_header needs token' });
    if (c.token && c.username && c.token_header.toLowerCase() === 'authorization') {
      issues.push({ path: 'token_header', message: 'token and basic auth both use the Authorization header: put the token in another header (token_header)' });
    }
    return issues;
  },
  create(c) {
    return {
      kind: 'http',
      maxBodyBytes: c.max_body === undefined ? undefined : parseBytes(c.max_body),
      handle(req) {
        if (c.token) requireToken(req, c.token_header, c.token);
        if (c.username && c.password) requireBasic(req, c.username, c.password);
        if (/^application\/x-www-form-urlencoded/i.test(req.headers['content-type'] ?? '')) {
          throw reject.unsupported('the webhook is set to "Encode as form": clear that checkbox in Datadog so the payload is sent as JSON');
        }
        const payload = jsonBody(req);
        try {
          const { event, id } = normalizeDatadog(payload);
          return { events: [event], deliveryId: id };
        } catch (err) {
          if (err instanceof DatadogPayloadError) throw reject.malformed(err.message);
          throw err;
        }
      },
    };
  },
});
