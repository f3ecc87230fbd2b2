import type { HeraldConfig } from './load.js';

/**
 * Settings a running Herald cannot change: the socket it listens on and its body limit (fixed
 * in the HTTP server), the store it has open, and the logger it was started with. A reload that
 * changes one is refused as a whole, naming them, rather than reporting "reloaded" with the old
 * values still in force.
 */
export function restartRequired(now: HeraldConfig, next: HeraldConfig): { key: string; detail: string }[] {
  const maskUrl = (u: string) => u.replace(/\/\/[^@/]*@/, '//***@');
  const keys: [string, string | number, string | number, (v: string | number) => string][] = [
    ['server.listen', now.server.listen, next.server.listen, String],
    ['server.body_limit', now.server.bodyLimit, next.server.bodyLimit, (v) => `${v} bytes`],
    ['storage.url', now.storage.url, next.storage.url, (v) => maskUrl(String(v))],
    ['storage.synchronous', now.storage.synchronous, next.storage.synchronous, String],
    ['log.level', now.log.level, next.log.level, String],
    ['log.format', now.log.format, next.log.format, String],
  ];
  return keys.filter(([, a, b]) => a !== b).map(([key, a, b, show]) => ({ key, detail: `${key}: ${show(a)} → ${show(b)}` }));
}

/** delivery.* keys whose value a reload changes, for the log (they apply at once). */
export function changedDeliveryKeys(now: HeraldConfig, next: HeraldConfig): string[] {
  const names: Record<keyof HeraldConfig['delivery'], string> = {
    retryScheduleMs: 'delivery.retry_schedule',
    timeoutMs: 'delivery.timeout',
    concurrency: 'delivery.concurrency',
    maxRetryAfterMs: 'delivery.max_retry_after',
    shutdownTimeoutMs: 'delivery.shutdown_timeout',
    pollIntervalMs: 'delivery.poll_interval',
  };
  return (Object.keys(names) as (keyof HeraldConfig['delivery'])[])
    .filter((k) => JSON.stringify(now.delivery[k]) !== JSON.stringify(next.delivery[k]))
    .map((k) => names[k]);
}
