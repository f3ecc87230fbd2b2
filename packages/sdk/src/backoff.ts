/** Exponential backoff parameters, in milliseconds. */
export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  initialMs: number;
  /** Largest ceiling. */
  maxMs: number;
  /** Growth of the ceiling per attempt (default 2). */
  factor?: number;
}

/**
 * The ceiling for retry number `attempt` (0 for the first retry):
 * `initial * factor^attempt`, never above `max`.
 */
export function backoffCap(attempt: number, policy: BackoffPolicy): number {
  const n = Math.max(0, Math.floor(attempt));
  // factor^n overflows to Infinity for large n, which min() turns into max.
  return Math.min(policy.maxMs, policy.initialMs * (policy.factor ?? 2) ** n);
}

/**
 * The delay before retry number `attempt` (0 for the first retry), with
 * "full jitter" (AWS architecture blog, 2015): uniformly random in
 * [0, backoffCap(attempt)). Of the usual jitters it spreads many clients that
 * lost the same server best (over the whole window instead of in lock step,
 * as a ±fraction would leave them), and a lone client still backs off
 * exponentially on average. `random` returns [0, 1) like Math.random (values
 * outside are clamped); tests pass their own.
 */
export function backoff(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * backoffCap(attempt, policy));
}
