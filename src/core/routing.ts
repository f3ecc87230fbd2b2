import type { HeraldEvent } from '@herald/sdk';
import type { Policy } from './incidents.js';
import { type Matcher, matchesAll } from './matcher.js';
import type { PeopleSelector } from './oncall.js';

export interface Route {
  /** `name:` or `routes[<index>]`; incidents belong to a route by this id. */
  id?: string;
  /** With a policy the route tracks incidents instead of forwarding every event. */
  policy?: Policy;
  /** Empty: matches every event. */
  match: Matcher[];
  receivers: string[];
  /** Keep evaluating later routes after this one matched. */
  continue: boolean;
  /** People this route notifies (users, teams, on-call schedules); receivers use what applies to them. */
  people?: PeopleSelector;
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

/**
 * The people an event's notification to `receiver` carries: the union of the
 * selectors of every matched route that names that receiver.
 */
export function peopleFor(routes: readonly Route[], event: HeraldEvent, receiver: string): PeopleSelector {
  const users: string[] = [];
  const teams: string[] = [];
  const onCall: string[] = [];
  for (const i of route(routes, event).matchedRoutes) {
    const r = routes[i] as Route;
    if (!r.people || !r.receivers.includes(receiver)) continue;
    users.push(...(r.people.users ?? []));
    teams.push(...(r.people.teams ?? []));
    const oc = r.people.on_call;
    if (oc) onCall.push(...(typeof oc === 'string' ? [oc] : oc));
  }
  return { users, teams, on_call: onCall };
}
