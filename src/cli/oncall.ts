import { formatLocal, localToEpoch, type OnCall, onCallAt, type Schedule, type User, upcomingHandoffs } from '../core/oncall.js';

/** How many coming hand-offs `herald oncall` lists. */
export const UPCOMING_HANDOFFS = 3;

const at = (ms: number, timeZone: string) => `${formatLocal(ms, timeZone)} ${timeZone}`;
const flag = (o: OnCall) => (o.override ? ' (override)' : '');

function contactsOf(name: string, directory: ReadonlyMap<string, User>): string {
  const user = directory.get(name);
  if (!user) throw new Error(`no user named "${name}"`);
  const entries = Object.entries(user.contacts);
  return entries.length === 0 ? '(none)' : entries.map(([kind, value]) => `${kind} ${value}`).join(', ');
}

/**
 * What `herald oncall <schedule> [--at <time>]` prints: who is on call at
 * `at`, since and until when (local to the schedule's time zone), their
 * contacts, and the next hand-offs. Pure; `at` is epoch ms.
 *
 *     primary: alice (since 2026-03-30 09:00 Europe/Berlin, until 2026-04-06 09:00 Europe/Berlin)
 *       contacts: email alice@example.com, slack U024BE7LH
 *     next hand-offs:
 *       2026-04-06 09:00 Europe/Berlin  bob
 *       2026-04-08 12:00 Europe/Berlin  dave (override)
 *       2026-04-09 12:00 Europe/Berlin  bob
 */
export function formatOnCall(schedule: Schedule, at_: number, directory: ReadonlyMap<string, User>): string {
  const tz = schedule.time_zone;
  const now = onCallAt(schedule, at_);
  const lines = [
    `${schedule.name}: ${now.user} (since ${at(now.from, tz)}, until ${at(now.to, tz)})${flag(now)}`,
    `  contacts: ${contactsOf(now.user, directory)}`,
    'next hand-offs:',
  ];
  for (const next of upcomingHandoffs(schedule, at_, UPCOMING_HANDOFFS)) {
    contactsOf(next.user, directory);
    lines.push(`  ${at(next.from, tz)}  ${next.user}${flag(next)}`);
  }
  return lines.join('\n');
}

/**
 * Parses `--at`: an RFC 3339 timestamp (`2026-03-30T09:00:00Z`,
 * `2026-03-30T09:00:00+02:00`), or a local `YYYY-MM-DD HH:MM` / `YYYY-MM-DDTHH:MM`
 * / `YYYY-MM-DD` (midnight) read in `timeZone`, the schedule's zone.
 */
export function parseAtOption(value: string, timeZone: string): number {
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  const local = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}))?$/.exec(text);
  if (local) return localToEpoch(timeZone, local[1] as string, local[2] ?? '00:00');
  throw new Error(`--at: "${value}" is not a time: use RFC 3339 (2026-03-30T09:00:00Z) or local "YYYY-MM-DD HH:MM" in ${timeZone}`);
}
