/** Exponential backoff parameters, in milliseconds. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

/**
 * The ceiling for retry number `attempt` (0 for the first retry):
 * `initial * factor^attempt`, never above `max`.
 */
export function backoffCap(attempt: number, policy: BackoffPolicy): number {
  const n = Math.max(0, Math.floor(attempt));
  // factor^n overflows to Infinity for large n, which min() turns into max.
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** n);
}

/**
 * "Full jitter" (AWS architecture blog, 2015): a uniformly random delay in
 * [0, cap). Spreads many clients that lost the same server over the whole
 * window instead of letting them reconnect in lock step. `random` returns
 * [0, 1) like Math.random; tests pass their own.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCap(attempt, policy));
}
