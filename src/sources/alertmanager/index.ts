import { Bytes, defineSource, jsonBody, parseBytes, reject, requireToken, Secret, SourceRejection, safeEqual, Type } from '@herald/sdk';
import { normalizeAlertmanager, normalizePrometheusAlerts, PayloadError } from './normalize.js';

/**
 * Alertmanager's webhook receiver (`webhook_configs`): every alert of a
 * notification becomes an event keyed by its fingerprint, so firing and
 * resolved meet in one incident.
 */
export default defineSource({
  type: 'alertmanager',
  version: '1.0.0',
  displayName: 'Alertmanager webhook',
  docsUrl: 'https://prometheus.io/docs/alerting/latest/configuration/#webhook_config',
  capabilities: {
    // Alertmanager's own API, so Prometheus or vmalert can use Herald as their Alertmanager
    // (`alerting.alertmanagers` pointing here, with an ingest token as `authorization`).
    endpoints: [
      {
        path: '/api/v2/alerts',
        source: 'prometheus',
        describes: 'an Alertmanager alert list',
        invalidCode: 'invalid_alerts',
        expects: 'send a JSON list of alerts with Content-Type: application/json',
        map(body, now) {
          try {
            return normalizePrometheusAlerts(body, now);
          } catch (err) {
            if (err instanceof PayloadError) throw new SourceRejection(400, 'invalid_alerts', err.message);
            throw err;
          }
        },
      },
    ],
  },
  config: Type.Object(
    {
      token: Type.Optional(Secret({ description: 'bearer token Alertmanager sends (http_config.authorization.credentials)', minLength: 16 })),
      username: Type.Optional(Type.String({ minLength: 1, description: 'basic auth user (http_config.basic_auth)' })),
      password: Type.Optional(Secret({ description: 'basic auth password' })),
      allow_unauthenticated: Type.Optional(Type.Boolean({ description: 'accept requests without credentials (not recommended)' })),
      max_body: Type.Optional(Bytes({ description: 'largest accepted body (default: server.body_limit)' })),
    },
    { additionalProperties: false },
  ),
  validate(c) {
    if (c.token && (c.username || c.password)) return [{ path: 'token', message: 'give either token or username + password, not both' }];
    if (Boolean(c.username) !== Boolean(c.password)) return [{ path: 'password', message: 'username and password go together' }];
    if (!c.token && !c.username && !c.allow_unauthenticated) {
      return [{ path: 'token', message: 'give token or username + password (or allow_unauthenticated: true) so strangers cannot post alerts' }];
    }
    return [];
  },
  create(config) {
    return {
      kind: 'http',
      maxBodyBytes: config.max_body === undefined ? undefined : parseBytes(config.max_body),
      handle(req) {
        if (config.token) requireToken(req, 'authorization', config.token);
        if (config.username && config.password) {
          const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
          if (!m) throw reject.unauthorized('missing Basic Authorization header');
          const expected = `${config.username}:${config.password}`;
          if (!safeEqual(Buffer.from(m[1] as string, 'base64').toString('utf8'), expected)) throw reject.unauthorized('wrong username or password');
        }
        const payload = jsonBody(req);
        try {
          return normalizeAlertmanager(payload);
        } catch (err) {
          if (err instanceof PayloadError) throw reject.malformed(err.message);
          throw err;
        }
      },
    };
  },
});
