import { classifyHttpResponse } from './errors.js';
import type { HttpResponse } from './http.js';
import type { Clock, SendContext } from './receiver.js';

/**
 * Spaces requests to one target: at most `perSecond`, one at a time, and none
 * before a `Retry-After` the target asked for has passed. Shared by every send
 * of one receiver instance, so concurrent deliveries queue up instead of
 * tripping the target's rate limit. One at a time matters: a request released
 * while an earlier one is still in flight could not know that the earlier one
 * is about to come back 429.
 */
export interface Pacer {
  /**
   * Runs `request` when its turn comes; the next turn waits for it to settle.
   * Rejects without running it if `signal` aborts while waiting.
   */
  run<T>(request: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** The target said "not before now + ms" (a 429 with Retry-After); call it inside `request`. */
  block(ms: number): void;
}

/** Real time: setTimeout, cancelled by the signal. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
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
    }),
};

export function createPacer(perSecond: number, clock: Clock = systemClock): Pacer {
  const interval = 1000 / perSecond;
  let nextAt = 0;
  let blockedUntil = 0;
  let chain: Promise<void> = Promise.resolve();
  return {
    run(request, signal) {
      const turn = chain.then(async () => {
        for (;;) {
          const at = Math.max(nextAt, blockedUntil);
          const delay = at - clock.now();
          if (delay <= 0) break;
          await clock.sleep(delay, signal);
        }
        nextAt = clock.now() + interval;
        return request();
      });
      chain = turn.then(
        () => {},
        () => {},
      );
      return turn;
    },
    block(ms) {
      blockedUntil = Math.max(blockedUntil, clock.now() + ms);
    },
  };
}

/**
 * One JSON POST through a pacer: HTTP failures become the shared
 * DeliveryError classification, and a 429 holds back every later request of
 * the receiver until its Retry-After has passed.
 */
export function pacedJsonPost(
  pacer: Pacer,
  ctx: Pick<SendContext, 'http' | 'clock' | 'signal'>,
  url: string,
  payload: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  /** PUT/PATCH for APIs that edit what an earlier POST created (same pacing and classification). */
  method: 'POST' | 'PUT' | 'PATCH' = 'POST',
): Promise<HttpResponse> {
  return pacer.run(async () => {
    const res = await ctx.http.request({ method, url, headers, body: JSON.stringify(payload), signal: ctx.signal });
    const failure = classifyHttpResponse(res.status, res.headers, res.body, ctx.clock.now());
    if (failure) {
      if (failure.reason === 'rate_limited') pacer.block(failure.retryAfterMs ?? 1000);
      throw failure;
    }
    return res;
  }, ctx.signal);
}
