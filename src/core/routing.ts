import type { HeraldEvent } from '@herald/sdk';
import { type Matcher, matchesAll } from './matcher.js';

export interface Route {
  /** Empty: matches every event. */
  match: Matcher[];
  receivers: string[];
  /** Keep evaluating later routes after this one matched. */
  continue: boolean;
}

export interface RouteDecision {
  /** Receiver names in first-seen order, without duplicates. */
  receivers: string[];
  /** Indexes of the routes that matched. */
  matchedRoutes: number[];
}

/**
 * Walks the ordered route list. The first matching route wins unless it sets
 * `continue`, in which case later routes are tried too.
 */
export function route(routes: readonly Route[], event: HeraldEvent): RouteDecision {
  const receivers: string[] = [];
  const matchedRoutes: number[] = [];
  for (const [index, r] of routes.entries()) {
    if (!matchesAll(r.match, event)) continue;
    matchedRoutes.push(index);
    for (const name of r.receivers) if (!receivers.includes(name)) receivers.push(name);
    if (!r.continue) break;
  }
  return { receivers, matchedRoutes };
}
