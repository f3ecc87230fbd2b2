import type { HeraldEvent } from '@herald/sdk';
import { eventValue, isMatchableField, type Matcher, matches } from './matcher.js';
import type { Route } from './routing.js';

/** What one route made of one event, for the console's "why" view. */
export interface RouteExplanation {
  index: number;
  /** `name:` of the route, or `routes[<index>]`. */
  id: string;
  receivers: string[];
  /**
   * `matched`: every matcher held. `failed`: `failed` names the first matcher
   * that did not. `not_reached`: an earlier route matched without `continue`,
   * so this one was never tried (its own verdict is still in `would_match`).
   */
  outcome: 'matched' | 'failed' | 'not_reached';
  failed?: { matcher: string; actual: string };
  would_match: boolean;
  continue: boolean;
}

/** `labels.host` → `host`, the name as users write it; `labels.severity` stays, as `severity` would name the field. */
function shownName(m: Matcher): string {
  return m.name.startsWith('labels.') && !isMatchableField(m.name.slice(7)) ? m.name.slice(7) : m.name;
}

/**
 * The same walk as `route()`, but keeping every route's verdict: which matched,
 * which matcher failed (with the value it saw), and which were never reached
 * because an earlier route stopped the walk. Pure.
 */
export function explainRoutes(routes: readonly Route[], event: HeraldEvent): RouteExplanation[] {
  let stopped = false;
  return routes.map((r, index) => {
    const failing = r.match.find((m) => !matches(m, event));
    const wouldMatch = failing === undefined;
    const base = { index, id: r.id ?? `routes[${index}]`, receivers: [...r.receivers], would_match: wouldMatch, continue: r.continue };
    if (stopped) return { ...base, outcome: 'not_reached' as const };
    if (failing) {
      return {
        ...base,
        outcome: 'failed' as const,
        failed: { matcher: `${shownName(failing)}${failing.op}${JSON.stringify(failing.value)}`, actual: eventValue(event, failing.name) },
      };
    }
    if (!r.continue) stopped = true;
    return { ...base, outcome: 'matched' as const };
  });
}
