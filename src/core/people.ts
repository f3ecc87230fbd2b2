import type { HeraldEvent, Person } from '@herald/sdk';
import { resolvePeople, type Schedule, type Team, type User } from './oncall.js';
import { peopleFor, type Route } from './routing.js';

export interface PeopleConfig {
  directory: ReadonlyMap<string, User>;
  teams: ReadonlyMap<string, Team>;
  schedules: ReadonlyMap<string, Schedule>;
}

/**
 * The people a notification of `event` to `receiver` carries. On-call duty is
 * taken at the event's arrival, so a retry an hour later still goes to the
 * person who was on duty when it happened. Pure.
 */
export function notificationPeople(routes: readonly Route[], people: PeopleConfig, event: HeraldEvent, receiver: string): Person[] {
  if (!routes.some((r) => r.people)) return [];
  const selector = peopleFor(routes, event, receiver);
  if (!selector.users?.length && !selector.teams?.length && !(selector.on_call as string[] | undefined)?.length) return [];
  return resolvePeople(selector, people.directory, people.teams, people.schedules, Date.parse(event.received_at));
}
