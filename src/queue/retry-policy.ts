import type { DeliveryError } from '@herald/sdk';

export interface RetryPolicy {
  /** Delay before retry N (index 0 = after the first failed attempt). Its length + 1 is the attempt limit. */
  scheduleMs: readonly number[];
  /** Longest Retry-After honoured; longer asks are cut to this. */
  maxRetryAfterMs: number;
  /** ±fraction of jitter on scheduled delays, so retries from one outage spread out. */
  jitter: number;
  /** Rate-limited tries do not use up attempts; this bounds them anyway. */
  maxTries: number;
}

export interface NextStep {
  state: 'failed' | 'dead';
  runAt?: number;
  countsAsAttempt: boolean;
  /** Why it is dead, when it is. */
  why?: string;
}

/**
 * Decides what follows a failed attempt. Pure: time and randomness come in.
 * `attempts` is how many counted attempts happened before this one.
 */
export function nextAfterFailure(
  policy: RetryPolicy,
  error: Pick<DeliveryError, 'retryable' | 'reason' | 'retryAfterMs'>,
  attempts: number,
  tries: number,
  now: number,
  random: () => number = Math.random,
): NextStep {
  const countsAsAttempt = error.reason !== 'rate_limited';
  const used = attempts + (countsAsAttempt ? 1 : 0);
  if (!error.retryable) return { state: 'dead', countsAsAttempt, why: 'permanent failure' };
  if (used > policy.scheduleMs.length) return { state: 'dead', countsAsAttempt, why: `gave up after ${used} attempts` };
  if (tries + 1 >= policy.maxTries) return { state: 'dead', countsAsAttempt, why: `gave up after ${tries + 1} tries` };
  let delay: number;
  if (error.retryAfterMs !== undefined) {
    delay = Math.min(Math.max(0, error.retryAfterMs), policy.maxRetryAfterMs);
  } else {
    const base = policy.scheduleMs[Math.max(0, Math.min(used, policy.scheduleMs.length) - 1)] ?? 0;
    delay = Math.round(base * (1 - policy.jitter + 2 * policy.jitter * random()));
  }
  return { state: 'failed', runAt: now + delay, countsAsAttempt };
}
