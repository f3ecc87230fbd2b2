import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { type HttpSourceRequest, reject } from './source.js';

const missingAllowed = new AsyncLocalStorage<(what: string) => void>();

/**
 * Dry runs only (`herald sources test --skip-verify`): runs `fn` so that the
 * checks below let a request through when it carries no signature or token at
 * all, telling `skipped` what went unverified. A signature or token that is
 * given is still verified, so a wrong secret still shows. Never used on the
 * serving path.
 */
export function withMissingCredentialsAllowed<T>(skipped: (what: string) => void, fn: () => T): T {
  return missingAllowed.run(skipped, fn);
}

/** No credentials in the request: refused, unless a dry run allows it (then reported). */
function missing(message: string): void {
  const skipped = missingAllowed.getStore();
  if (!skipped) throw reject.unauthorized(message);
  skipped(message);
}

/**
 * Compares two secrets in constant time whatever their lengths: both sides are
 * hashed first, so a wrong-length signature is just a mismatch, never an error.
 */
export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export interface HmacOptions {
  secret: string | Buffer;
  algorithm?: 'sha1' | 'sha256' | 'sha512';
  encoding?: 'hex' | 'base64';
  /** Text before the digest in the header, e.g. `sha256=` (GitHub). */
  prefix?: string;
}

export function hmacSignature(body: Buffer | string, o: HmacOptions): string {
  return `${o.prefix ?? ''}${createHmac(o.algorithm ?? 'sha256', o.secret)
    .update(body)
    .digest(o.encoding ?? 'hex')}`;
}

/**
 * Refuses a request whose HMAC header is missing or wrong, with a message
 * that says which (never the expected value).
 */
export function requireHmac(req: HttpSourceRequest, headerName: string, o: HmacOptions): void {
  const given = req.headers[headerName.toLowerCase()];
  if (!given) {
    missing(`missing ${headerName} header: this source requires a signed request`);
    return;
  }
  const expected = hmacSignature(req.rawBody, o);
  const normalized = o.encoding === 'base64' ? given.trim() : given.trim().toLowerCase();
  if (!safeEqual(normalized, expected)) throw reject.unauthorized(`${headerName} does not match the body: wrong secret or altered payload`);
}

/** Refuses a request without the expected shared token in `headerName`. */
export function requireToken(req: HttpSourceRequest, headerName: string, token: string): void {
  let given = req.headers[headerName.toLowerCase()];
  if (!given) {
    missing(`missing ${headerName} header: this source requires a token`);
    return;
  }
  if (headerName.toLowerCase() === 'authorization') given = given.replace(/^Bearer\s+/i, '');
  if (!safeEqual(given.trim(), token)) throw reject.unauthorized(`${headerName} does not match the configured token`);
}

/** The HMAC key of a Standard Webhooks `whsec_` secret: the base64 part after the prefix. */
export function standardWebhookKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), per https://www.standardwebhooks.com/. */
export function signStandardWebhook(key: Buffer, id: string, timestampSeconds: number, body: string | Buffer): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.`).update(body).digest('base64')}`;
}

/**
 * Verifies `webhook-id`, `webhook-timestamp` and `webhook-signature` (any of
 * the space-separated `v1,` signatures may match). A timestamp further than
 * `toleranceSeconds` from now is refused: a captured request cannot be replayed later.
 * Returns the webhook id, usable to drop duplicates.
 */
export function requireStandardWebhook(req: HttpSourceRequest, secret: string, nowMs: number, toleranceSeconds = 300): string {
  const id = req.headers['webhook-id'];
  const ts = req.headers['webhook-timestamp'];
  const sigs = req.headers['webhook-signature'];
  if (!id && !ts && !sigs) {
    missing('missing webhook-id, webhook-timestamp or webhook-signature header (Standard Webhooks)');
    return '';
  }
  if (!id || !ts || !sigs) throw reject.unauthorized('missing webhook-id, webhook-timestamp or webhook-signature header (Standard Webhooks)');
  if (!/^\d{1,12}$/.test(ts)) throw reject.unauthorized('webhook-timestamp must be Unix seconds');
  if (Math.abs(nowMs / 1000 - Number(ts)) > toleranceSeconds) {
    throw reject.unauthorized(`webhook-timestamp is more than ${toleranceSeconds} s from now: refused as a possible replay`);
  }
  const expected = signStandardWebhook(standardWebhookKey(secret), id, Number(ts), req.rawBody);
  const match = sigs.split(' ').some((s) => safeEqual(s.trim(), expected));
  if (!match) throw reject.unauthorized('webhook-signature does not match: wrong secret or altered payload');
  return id;
}
