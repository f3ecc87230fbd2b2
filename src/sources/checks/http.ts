import { isIP } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { Duration, defineSource, HttpUrl, parseDuration, type SourceContext, type Static, Type } from '@herald/sdk';
import { Client } from 'undici';
import { type CommonCheckConfig, commonCheckProperties, createCheck, errorMessage, type ProbeOutcome, validateCommon } from './runner.js';

/** Response bytes read for body checks (the same cap as Herald's guarded client for sources). */
export const MAX_BODY_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;

const StatusItem = Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.String({ pattern: '^([1-5]xx|[1-5][0-9][0-9](-[1-5][0-9][0-9])?)$' })]);

const config = Type.Object(
  {
    url: HttpUrl({ description: 'the URL to request' }),
    method: Type.Enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], { default: 'GET', description: 'HTTP method' }),
    headers: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.String(), { secret: true, description: 'request headers; their values are masked in logs' }),
    ),
    body: Type.Optional(Type.String({ description: 'request body (for POST, PUT, PATCH)' })),
    expect_status: Type.Array(StatusItem, {
      minItems: 1,
      default: ['2xx'],
      description: 'accepted status codes: codes (`204`), classes (`2xx`) or ranges (`200-399`)',
    }),
    body_contains: Type.Optional(Type.String({ minLength: 1, description: 'text the body must contain' })),
    body_regex: Type.Optional(Type.String({ minLength: 1, description: 'regular expression (JavaScript syntax) the body must match' })),
    json_path: Type.Optional(
      Type.String({ minLength: 1, pattern: '^[^.]+(\\.[^.]+)*$', description: 'dot path into a JSON body, e.g. `status` or `checks.0.state`; it must exist' }),
    ),
    json_value: Type.Optional(Type.String({ description: 'the value at `json_path`, compared as a string' })),
    max_latency: Type.Optional(Duration({ description: 'a response slower than this is a failure' })),
    tls_expiry_days: Type.Optional(
      Type.Number({ minimum: 0, maximum: 3650, description: 'fail when the server certificate expires within this many days (https only)' }),
    ),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate(s) trusted for this https URL instead of the system CAs' })),
    reject_unauthorized: Type.Boolean({ default: true, description: 'false accepts any certificate (still reads its expiry)' }),
    ...commonCheckProperties,
  },
  { additionalProperties: false },
);

export type HttpCheckConfig = Static<typeof config>;

/** A matcher for `expect_status`, and its description for messages. */
export function statusMatcher(list: readonly (number | string)[]): { test(status: number): boolean; text: string } {
  const ranges = list.map((item): [number, number] => {
    const s = String(item);
    if (/^[1-5]xx$/.test(s)) return [Number(s[0]) * 100, Number(s[0]) * 100 + 99];
    const [a, b] = s.split('-').map(Number) as [number, number | undefined];
    return [a, b ?? a];
  });
  return { test: (status) => ranges.some(([a, b]) => status >= a && status <= b), text: list.map(String).join(', ') };
}

/** The value at a dot path (`a.b.0.c`), own properties only; `found: false` when absent. */
export function readJsonPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  let cur: unknown = value;
  for (const part of path.replace(/^\$\./, '').split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, part)) return { found: false };
    cur = (cur as Record<string, unknown>)[part];
  }
  return { found: true, value: cur };
}

/** JSON values compared "as a string": strings as they are, everything else as JSON (`true`, `3`, `null`). */
export function jsonAsString(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export interface HttpObservation {
  status: number;
  body: string;
  truncated: boolean;
  durationMs: number;
  /** `valid_to` of the server certificate, when it was read. */
  certValidTo?: string;
}

const quote = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 79)}…` : s);

/**
 * Judges one response against the configured expectations; every unmet one is
 * named, so the reason says exactly what was wrong. Pure; `now` is for the
 * certificate's remaining days.
 */
export function evaluateHttp(c: HttpCheckConfig, r: HttpObservation, now: number): ProbeOutcome {
  const problems: string[] = [];
  const notes: string[] = [];
  const expect = statusMatcher(c.expect_status);
  if (!expect.test(r.status)) problems.push(`HTTP ${r.status}, expected ${expect.text}`);
  const ms = Math.round(r.durationMs);
  if (c.max_latency !== undefined && r.durationMs > parseDuration(c.max_latency)) problems.push(`took ${ms} ms, more than max_latency ${c.max_latency}`);
  const within = r.truncated ? ` (first ${MAX_BODY_BYTES / 1024} KiB read)` : '';
  if (c.body_contains !== undefined && !r.body.includes(c.body_contains)) problems.push(`body does not contain ${quote(c.body_contains)}${within}`);
  if (c.body_regex !== undefined && !new RegExp(c.body_regex).test(r.body)) problems.push(`body does not match /${c.body_regex}/${within}`);
  if (c.json_path !== undefined) {
    let parsed: unknown;
    let parsedOk = true;
    try {
      parsed = JSON.parse(r.body);
    } catch (err) {
      parsedOk = false;
      problems.push(`json_path ${quote(c.json_path)} cannot be read: body is not JSON (${errorMessage(err)})${within}`);
    }
    if (parsedOk) {
      const at = readJsonPath(parsed, c.json_path);
      if (!at.found) problems.push(`json_path ${quote(c.json_path)} is not in the body`);
      else if (c.json_value !== undefined && jsonAsString(at.value) !== c.json_value) {
        problems.push(`json_path ${quote(c.json_path)} is ${quote(jsonAsString(at.value))}, expected ${quote(c.json_value)}`);
      }
    }
  }
  if (c.tls_expiry_days !== undefined && r.certValidTo !== undefined) {
    const validTo = Date.parse(r.certValidTo);
    const days = (validTo - now) / DAY_MS;
    const when = Number.isNaN(validTo) ? r.certValidTo : new Date(validTo).toISOString();
    if (Number.isNaN(validTo)) problems.push(`certificate expiry ${quote(r.certValidTo)} is unreadable`);
    else if (days <= 0) problems.push(`certificate expired on ${when}`);
    else if (days <= c.tls_expiry_days) problems.push(`certificate expires in ${days.toFixed(1)} days (${when}), within tls_expiry_days ${c.tls_expiry_days}`);
    else notes.push(`certificate valid ${days.toFixed(1)} more days`);
  }
  if (problems.length > 0) return { ok: false, message: problems.join('; ') };
  return { ok: true, message: [`HTTP ${r.status} in ${ms} ms`, ...notes].join(', ') };
}

/** The URL without user info, for events and messages. */
function publicUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

/**
 * HTTPS over a socket from Herald's guarded `ctx.net` (so `outbound.allow`
 * applies), with our own trust settings, reading the server certificate.
 * Used when `ca`, `reject_unauthorized: false` or `tls_expiry_days` is set: the
 * guarded HTTP client neither takes a CA nor exposes the certificate.
 */
async function requestOverOwnTls(c: HttpCheckConfig, ctx: SourceContext, signal: AbortSignal, timeoutMs: number): Promise<HttpObservation> {
  const url = new URL(c.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 443);
  let certValidTo: string | undefined;
  const t0 = performance.now();
  const client = new Client(url.origin, {
    pipelining: 0,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: (_opts, callback) => {
      ctx.net.connect({ host, port, timeoutMs, signal }).then(
        (raw) => {
          const socket: TLSSocket = tlsConnect({
            socket: raw,
            host,
            servername: isIP(host) ? undefined : host,
            ca: c.ca,
            rejectUnauthorized: c.reject_unauthorized,
            ALPNProtocols: ['http/1.1'],
          });
          const onError = (err: Error) => {
            raw.destroy();
            callback(new ConnectFailure(`TLS handshake with ${host}:${port} failed: ${err.message}`), null);
          };
          socket.once('error', onError);
          socket.once('secureConnect', () => {
            socket.off('error', onError);
            certValidTo = socket.getPeerCertificate().valid_to;
            callback(null, socket);
          });
        },
        (err: Error) => callback(new ConnectFailure(err.message), null),
      );
    },
  });
  try {
    const res = await client.request({
      path: `${url.pathname}${url.search}`,
      method: c.method as 'GET',
      headers: { 'user-agent': 'Herald/0.1 (http-check)', ...c.headers },
      body: c.body,
      signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      if (size + buf.length > MAX_BODY_BYTES) {
        chunks.push(buf.subarray(0, MAX_BODY_BYTES - size));
        truncated = true;
        res.body.destroy();
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
    return { status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), truncated, durationMs: performance.now() - t0, certValidTo };
  } catch (err) {
    // What the connector reported (the guard's refusal, a TLS problem) is already precise.
    for (let e: unknown = err, i = 0; e instanceof Error && i < 4; e = e.cause, i++) if (e instanceof ConnectFailure) throw e;
    const code = (err as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new Error(`request to ${host} timed out after ${timeoutMs} ms`);
    throw new Error(`request to ${host} failed: ${code ?? errorMessage(err)}`);
  } finally {
    await client.destroy().catch(() => {});
  }
}

/** A failure to connect (guard refusal, TCP error) or to shake hands, with its precise message. */
class ConnectFailure extends Error {}

function usesOwnTls(c: HttpCheckConfig): boolean {
  return c.url.startsWith('https:') && (c.ca !== undefined || c.reject_unauthorized === false || c.tls_expiry_days !== undefined);
}

export default defineSource({
  type: 'http-check',
  version: '1.0.0',
  displayName: 'HTTP check',
  config,
  validate(c: HttpCheckConfig) {
    const issues = validateCommon(c as CommonCheckConfig);
    if (c.body_regex !== undefined) {
      try {
        new RegExp(c.body_regex);
      } catch (err) {
        issues.push({ path: 'body_regex', message: `not a valid regular expression: ${errorMessage(err)}` });
      }
    }
    if (c.json_value !== undefined && c.json_path === undefined) issues.push({ path: 'json_value', message: 'json_value needs json_path' });
    const https = c.url.startsWith('https:');
    for (const field of ['tls_expiry_days', 'ca'] as const) {
      if (c[field] !== undefined && !https) issues.push({ path: field, message: `${field} needs an https:// url` });
    }
    if (c.reject_unauthorized === false && !https) issues.push({ path: 'reject_unauthorized', message: 'reject_unauthorized needs an https:// url' });
    if (c.body !== undefined && c.method === 'GET') issues.push({ path: 'body', message: 'a GET request has no body; set method' });
    return issues;
  },
  create(c, ctx) {
    const own = usesOwnTls(c);
    return createCheck(
      ctx,
      'http-check',
      'http',
      c as CommonCheckConfig,
      async (signal, timeoutMs) => {
        const observed: HttpObservation = own
          ? await requestOverOwnTls(c, ctx, signal, timeoutMs)
          : await ctx.http.request({
              url: c.url,
              method: c.method as 'GET',
              headers: c.headers,
              body: c.body,
              timeoutMs,
              signal,
            });
        return evaluateHttp(c, observed, ctx.clock.now());
      },
      publicUrl(c.url),
    );
  },
});
