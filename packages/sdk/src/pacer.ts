/**
 * Spaces requests to one target: at most `perSecond`, and none before a
 * `Retry-After` the target asked for has passed. Shared by every send of one
 * receiver instance, so concurrent deliveries queue up instead of tripping
 * the target's rate limit.
 */
export interface Pacer {
  /** Resolves when the next request may go; rejects if `signal` aborts first. */
  wait(signal?: AbortSignal): Promise<void>;
  /** The target said "not before now + ms" (a 429 with Retry-After). */
  block(ms: number): void;
}

export function createPacer(perSecond: number, now: () => number = Date.now): Pacer {
  const interval = 1000 / perSecond;
  let nextAt = 0;
  let blockedUntil = 0;
  let chain: Promise<void> = Promise.resolve();
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (ms <= 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort() {
        clearTimeout(timer);
        reject(signal?.reason ?? new Error('aborted'));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  return {
    wait(signal) {
      const turn = chain.then(async () => {
        // Re-read after each sleep: a 429 may have moved blockedUntil meanwhile.
        for (;;) {
          const at = Math.max(nextAt, blockedUntil);
          const delay = at - now();
          if (delay <= 0) break;
          await sleep(delay, signal);
        }
        nextAt = now() + interval;
      });
      chain = turn.catch(() => {});
      return turn;
    },
    block(ms) {
      blockedUntil = Math.max(blockedUntil, now() + ms);
    },
  };
}
