/**
 * Why a delivery failed. It decides whether the queue retries and is the
 * `reason` label on the failed-deliveries metric.
 */
export type FailureReason = 'client' | 'auth' | 'redirect' | 'rate_limited' | 'server' | 'timeout' | 'network' | 'blocked' | 'config';

export interface DeliveryErrorOptions {
  reason: FailureReason;
  retryable: boolean;
  /** The target asked us to wait at least this long before trying again. */
  retryAfterMs?: number;
  /** HTTP status or protocol code, when there was one. */
  status?: number;
  /** First bytes of the target's answer, for the attempt record. */
  response?: string;
  cause?: unknown;
}

/**
 * The one error type a receiver throws to fail a delivery. Anything else a
 * receiver throws is treated as a retryable `network` failure.
 */
export class DeliveryError extends Error {
  readonly reason: FailureReason;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly response?: string;

  constructor(message: string, options: DeliveryErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeliveryError';
    this.reason = options.reason;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.status = options.status;
    this.response = options.response;
  }
}

/** Never retried: the same request would fail the same way. */
export function permanent(message: string, options: Partial<DeliveryErrorOptions> = {}): DeliveryError {
  return new DeliveryError(message, { reason: 'client', ...options, retryable: false });
}

/** Retried on the delivery schedule. */
export function retryable(message: string, options: Partial<DeliveryErrorOptions> = {}): DeliveryError {
  return new DeliveryError(message, { reason: 'server', ...options, retryable: true });
}

/** Retried after `retryAfterMs`; does not use up an attempt. */
export function rateLimited(message: string, retryAfterMs: number | undefined, options: Partial<DeliveryErrorOptions> = {}): DeliveryError {
  return new DeliveryError(message, { ...options, reason: 'rate_limited', retryable: true, retryAfterMs });
}

/**
 * Parses a `Retry-After` header: delta-seconds or an HTTP-date.
 * Returns milliseconds from `now`, or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  // delay-seconds; some APIs (Zulip, Discord) send fractions such as `1.5`, which are seconds too, not a date.
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  if (text === '') return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Statuses a target may answer when it is briefly unable to take a request. */
const TRANSIENT_STATUSES = new Set([408, 425, 429]);

/**
 * The shared classifier every HTTP receiver uses: 2xx is success (returns
 * undefined); 3xx is a failure because redirects are never followed;
 * 408/425/429/5xx are retried, honouring Retry-After; 401/403 are permanent
 * `auth` failures; every other 4xx is a permanent `client` failure.
 */
export function classifyHttpResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body = '',
  now: number = Date.now(),
): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const retryAfterMs = parseRetryAfter(headers['retry-after'], now);
  const base = { status, response: body };
  if (status === 429) return rateLimited(`rate limited: HTTP ${status}`, retryAfterMs, base);
  if (status >= 500 || TRANSIENT_STATUSES.has(status)) {
    return new DeliveryError(`HTTP ${status}`, { ...base, reason: 'server', retryable: true, retryAfterMs });
  }
  if (status >= 300 && status < 400) {
    return new DeliveryError(`HTTP ${status}: redirect not followed`, { ...base, reason: 'redirect', retryable: false });
  }
  if (status === 401 || status === 403) {
    return new DeliveryError(`HTTP ${status}: not authorized`, { ...base, reason: 'auth', retryable: false });
  }
  return new DeliveryError(`HTTP ${status}`, { ...base, reason: 'client', retryable: false });
}
