import type { HeraldEvent, Severity } from './event.js';

/**
 * The severity a receiver should show: `ok` for a resolved event (providers
 * call it success/ok/recovery), the event's own severity otherwise, and for a
 * firing event that carries none, `error` — a mail "[Bamboo] build failed" is
 * an alarm, not information. `info` only for events that are neither.
 *
 * Every receiver maps this one value to its provider's scale, so no receiver
 * keeps its own rule for events without a severity.
 */
export type EffectiveSeverity = Severity | 'ok';

export function effectiveSeverity(event: Pick<HeraldEvent, 'status' | 'severity'>): EffectiveSeverity {
  if (event.status === 'resolved') return 'ok';
  if (event.severity) return event.severity;
  return event.status === 'firing' ? 'error' : 'info';
}

const RANK: Record<Severity, number> = { critical: 3, error: 2, warning: 1, info: 0 };

/** The highest of several severities (a group takes its worst firing member's); undefined for none. */
export function highestSeverity(severities: readonly (Severity | undefined)[]): Severity | undefined {
  let best: Severity | undefined;
  for (const s of severities) if (s && (best === undefined || RANK[s] > RANK[best])) best = s;
  return best;
}
