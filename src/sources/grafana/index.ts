import { createHmac } from 'node:crypto';
import {
  Bytes,
  Duration,
  defineSource,
  type HttpSourceRequest,
  jsonBody,
  parseBytes,
  parseDuration,
  reject,
  requireToken,
  Secret,
  type Static,
  safeEqual,
  Type,
} from '@herald/sdk';
import { normalizeGrafana } from './normalize.js';

const config = Type.Object(
  {
    token: Type.Optional(
      Secret({ description: 'the contact point\'s "Authorization Header - Credentials"; Grafana sends `Authorization: Bearer <token>`', minLength: 16 }),
    ),
    hmac_secret: Type.Optional(Secret({ description: 'the contact point\'s "HMAC Signature - Secret"', minLength: 16 })),
    hmac_header: Type.Optional(
      Type.String({ minLength: 1, description: 'the "HMAC Signature - Header" (default: X-Grafana-Alerting-Signature, or X-Grafana-Alert-Signature)' }),
    ),
    hmac_timestamp_header: Type.Optional(
      Type.String({ minLength: 1, description: 'the "HMAC Signature - Timestamp header"; when set, it is required, signed and checked against `tolerance`' }),
    ),
    tolerance: Duration({ default: '5m', description: 'how far the signed timestamp may be from now' }),
    max_body: Type.Optional(Bytes({ description: 'largest accepted body (default: server.body_limit)' })),
  },
  { additionalProperties: false },
);

/** Grafana's UI shows this name; its sender's built-in default has been `X-Grafana-Alert-Signature`. */
const DEFAULT_SIGNATURE_HEADERS = ['x-grafana-alerting-signature', 'x-grafana-alert-signature'];

/**
 * Grafana's HMAC: hex HMAC-SHA256 keyed with the secret over the body, or over
 * `<unix seconds>:<body>` when a timestamp header is configured
 * (grafana/alerting http/hmac.go).
 */
function requireGrafanaHmac(req: HttpSourceRequest, c: Static<typeof config>, secret: string, nowMs: number, toleranceMs: number): void {
  const names = c.hmac_header ? [c.hmac_header.toLowerCase()] : DEFAULT_SIGNATURE_HEADERS;
  const name = names.find((n) => req.headers[n]);
  const shown = c.hmac_header ?? 'X-Grafana-Alerting-Signature';
  if (!name) throw reject.unauthorized(`missing ${shown} header: this source requires Grafana's HMAC signature`);
  const given = (req.headers[name] as string).trim().toLowerCase();
  const hmac = createHmac('sha256', secret);
  if (c.hmac_timestamp_header) {
    const ts = req.headers[c.hmac_timestamp_header.toLowerCase()]?.trim();
    if (!ts) throw reject.unauthorized(`missing ${c.hmac_timestamp_header} header: the signature must carry a timestamp`);
    if (!/^\d{1,12}$/.test(ts)) throw reject.unauthorized(`${c.hmac_timestamp_header} must be Unix seconds`);
    const skew = Math.abs(nowMs - Number(ts) * 1000);
    if (skew > toleranceMs) {
      throw reject.unauthorized(
        `${c.hmac_timestamp_header} is ${Math.round(skew / 1000)} s from now (more than ${toleranceMs / 1000} s): refused as a possible replay`,
      );
    }
    hmac.update(`${ts}:`);
  }
  const expected = hmac.update(req.rawBody).digest('hex');
  if (!safeEqual(given, expected)) throw reject.unauthorized(`${shown} does not match the body: wrong secret or altered payload`);
}

/**
 * Grafana-managed alerting: a contact point of type Webhook. One event per
 * alert, keyed on its fingerprint. Authenticated by the contact point's
 * Authorization header (`token`) and/or its HMAC signature (`hmac_secret`).
 */
export default defineSource({
  type: 'grafana',
  version: '1.0.0',
  displayName: 'Grafana alerting webhook',
  docsUrl: 'https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/',
  config,
  validate(c: Static<typeof config>) {
    const issues: { path: string; message: string }[] = [];
    if (!c.token && !c.hmac_secret) issues.push({ path: 'token', message: 'give token or hmac_secret (or both) so strangers cannot post alerts' });
    if (!c.hmac_secret && (c.hmac_header || c.hmac_timestamp_header))
      issues.push({ path: 'hmac_secret', message: 'hmac_header and hmac_timestamp_header need hmac_secret' });
    if (parseDuration(c.tolerance) < 1000) issues.push({ path: 'tolerance', message: 'must be at least 1s' });
    return issues;
  },
  create(c, ctx) {
    const toleranceMs = parseDuration(c.tolerance);
    return {
      kind: 'http',
      maxBodyBytes: c.max_body === undefined ? undefined : parseBytes(c.max_body),
      handle(req) {
        if (c.token) requireToken(req, 'Authorization', c.token);
        if (c.hmac_secret) requireGrafanaHmac(req, c, c.hmac_secret, ctx.clock.now(), toleranceMs);
        const payload = jsonBody(req);
        return normalizeGrafana(payload);
      },
    };
  },
});
