/**
 * People, teams and on-call schedules: the model and the time logic.
 *
 * Pure: no I/O and no clock. Every function that depends on time takes the
 * instant (milliseconds since the epoch) as a parameter.
 *
 * Local wall-clock time ↔ UTC is computed with `Intl.DateTimeFormat` and the
 * schedule's IANA time zone, so rotations hand off at the configured local
 * time on every day, including the days daylight-saving time starts or ends.
 */
import type { Person } from '@herald/sdk';

/** Someone who can be notified. `contacts` holds one address per kind, keyed as the receivers that read them declare (`ReceiverDefinition.contact`). */
export interface User {
  name: string;
  contacts: Record<string, string>;
}

export interface Team {
  name: string;
  /** User names. */
  members: string[];
}

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface Rotation {
  /** User names in rotation order; member 0 is on call from the first hand-off. A name may appear more than once. */
  members: string[];
  /** Shift length: `<N>h`, `<N>d` or `<N>w` (wall-clock hours, days or weeks in the schedule's time zone). */
  length: string;
  /** Hand-off time, `HH:MM`, local to the schedule's time zone. */
  handoff: string;
  /** `YYYY-MM-DD`, local: the day of the first hand-off. */
  start: string;
  /** For week-based lengths only: the weekday of every hand-off. `start` must fall on it. */
  handoff_day?: Weekday;
}

export interface Override {
  user: string;
  /** RFC 3339. */
  from: string;
  /** RFC 3339, exclusive. */
  to: string;
}

export interface Schedule {
  name: string;
  /** IANA time zone, e.g. `Europe/Berlin`. */
  time_zone: string;
  rotation: Rotation;
  overrides: Override[];
}

/** Who is on call at an instant, and for which span that stays so. */
export interface OnCall {
  user: string;
  /** Epoch ms, inclusive: since when this user is on call without interruption (hand-off or override edge). */
  from: number;
  /** Epoch ms, exclusive: the next hand-off or override edge. */
  to: number;
  /** True while an override is in force. */
  override: boolean;
}

export interface PeopleIssue {
  path: string;
  message: string;
}

/** What a route asks for. */
export interface PeopleSelector {
  users?: readonly string[];
  teams?: readonly string[];
  /** Schedule name(s): whoever is on call on each at the time of the notification. */
  on_call?: string | readonly string[];
}

/* ------------------------------------------------------------------------ */
/* Local time ↔ UTC                                                          */
/* ------------------------------------------------------------------------ */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True if `Intl` knows the IANA zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * The wall-clock time at `utcMs` in `timeZone`, as "naive" epoch ms: the
 * instant at which a UTC clock would show the same fields. Seconds precision.
 */
function wallClock(timeZone: string, utcMs: number): number {
  const fields: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(utcMs)) {
    if (p.type !== 'literal') fields[p.type] = Number(p.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields;
  // Some ICU versions print midnight as 24 even with h23.
  return Date.UTC(year, month - 1, day, hour === 24 ? 0 : hour, minute, second);
}

/** Offset of `timeZone` from UTC at `utcMs`, in ms (Berlin in winter: +3_600_000). */
function offsetAt(timeZone: string, utcMs: number): number {
  const whole = Math.floor(utcMs / 1000) * 1000;
  return wallClock(timeZone, whole) - whole;
}

/**
 * The UTC instant of a wall-clock time (naive ms) in `timeZone`.
 * - Overlap (the hour repeated when clocks go back): the first occurrence.
 * - Gap (the hour skipped when clocks go forward): the first valid instant
 *   after it, i.e. the moment of the change (02:30 on a 02:00→03:00 day → 03:00).
 */
function wallClockToUtc(timeZone: string, naive: number): number {
  // Transitions are far more than 48 hours apart, so the offsets a day before and after cover both sides.
  const before = offsetAt(timeZone, naive - DAY);
  const after = offsetAt(timeZone, naive + DAY);
  const valid = [naive - before, naive - after].filter((c) => wallClock(timeZone, c) === naive);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap (clocks went forward, so after > before): the change happened in (naive - after, naive - before];
  // the first instant carrying the later offset is the first valid local time after `naive`.
  if (after <= before) throw new Error(`cannot place local time ${new Date(naive).toISOString().slice(0, 16)} in ${timeZone}`);
  let lo = naive - after;
  let hi = naive - before;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(timeZone, mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const LENGTH_RE = /^([1-9]\d{0,3})([hdw])$/;

/** `YYYY-MM-DD` → naive ms at midnight, or undefined if it is not a real date. */
function parseDate(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms;
}

/** `HH:MM` → ms after midnight, or undefined. */
function parseTime(time: string): number | undefined {
  const m = TIME_RE.exec(time);
  return m ? Number(m[1]) * HOUR + Number(m[2]) * MINUTE : undefined;
}

/** `8h`, `1d`, `2w` → wall-clock ms, or undefined. */
export function parseRotationLength(length: string): number | undefined {
  const m = LENGTH_RE.exec(length);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'h' ? HOUR : m[2] === 'd' ? DAY : 7 * DAY);
}

/** The instant a local date and time (`YYYY-MM-DD`, `HH:MM`) names in `timeZone` (gap → first valid instant after; overlap → first occurrence). */
export function localToEpoch(timeZone: string, date: string, time: string): number {
  const day = parseDate(date);
  const t = parseTime(time);
  if (day === undefined) throw new Error(`"${date}" is not a date (YYYY-MM-DD)`);
  if (t === undefined) throw new Error(`"${time}" is not a time (HH:MM)`);
  if (!isValidTimeZone(timeZone)) throw new Error(`unknown time zone "${timeZone}"`);
  return wallClockToUtc(timeZone, day + t);
}

/** `YYYY-MM-DD HH:MM` of `ms` in `timeZone`. */
export function formatLocal(ms: number, timeZone: string): string {
  return new Date(wallClock(timeZone, ms)).toISOString().slice(0, 16).replace('T', ' ');
}

/** 0 = Monday … 6 = Sunday, for a naive midnight. */
function weekdayIndex(naiveMidnight: number): number {
  return (new Date(naiveMidnight).getUTCDay() + 6) % 7;
}

/* ------------------------------------------------------------------------ */
/* Rotations and overrides                                                   */
/* ------------------------------------------------------------------------ */

interface CompiledRotation {
  timeZone: string;
  members: string[];
  /** Naive ms of the first hand-off (local wall clock). */
  anchor: number;
  /** Wall-clock ms per shift. */
  length: number;
}

function compileRotation(schedule: Schedule): CompiledRotation {
  const r = schedule.rotation;
  const problems = validateSchedule(schedule, '', undefined);
  if (problems.length > 0) throw new Error(`schedule "${schedule.name}": ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  // validateSchedule guarantees these parse.
  const day = parseDate(r.start) ?? 0;
  const time = parseTime(r.handoff) ?? 0;
  return { timeZone: schedule.time_zone, members: r.members, anchor: day + time, length: parseRotationLength(r.length) ?? DAY };
}

/** The UTC instant of hand-off number `k` (0 = the first; negative = before `start`). */
function handoffAt(rot: CompiledRotation, k: number): number {
  return wallClockToUtc(rot.timeZone, rot.anchor + k * rot.length);
}

/**
 * The rotation shift containing `at`: `[from, to)` and its index. The rotation
 * extends backwards before `start` with the same cycle (shift −1 belongs to
 * the last member), so every instant has exactly one person on call.
 */
function shiftAt(rot: CompiledRotation, at: number): { k: number; from: number; to: number } {
  let k = Math.floor((wallClock(rot.timeZone, at) - rot.anchor) / rot.length);
  // The estimate is off by at most one near a DST change; walk to the shift that holds `at`.
  // (A shift whose local start and end both lie in a skipped hour is empty and skipped.)
  while (handoffAt(rot, k) > at) k--;
  while (handoffAt(rot, k + 1) <= at) k++;
  return { k, from: handoffAt(rot, k), to: handoffAt(rot, k + 1) };
}

function memberOf(rot: CompiledRotation, k: number): string {
  const n = rot.members.length;
  return rot.members[((k % n) + n) % n] as string;
}

interface Span {
  user: string;
  from: number;
  to: number;
  index: number;
}

function overrideSpans(schedule: Schedule): Span[] {
  return schedule.overrides.map((o, index) => ({ user: o.user, from: Date.parse(o.from), to: Date.parse(o.to), index }));
}

/**
 * The override in force at `at`, if any. Overlapping overrides: the one that
 * started latest wins (on equal starts, the one listed later), so a short
 * override placed inside a longer one takes precedence while it lasts and the
 * longer one resumes after it.
 */
function overrideAt(spans: readonly Span[], at: number): Span | undefined {
  let best: Span | undefined;
  for (const s of spans) {
    if (s.from <= at && at < s.to && (!best || s.from > best.from || (s.from === best.from && s.index > best.index))) best = s;
  }
  return best;
}

/**
 * Who is on call on `schedule` at `at` (epoch ms). An override in force wins
 * over the rotation. `from`/`to` bound the span in which that stays so: a
 * rotation shift cut by any override, or the part of an override not hidden
 * by a later-starting one. An instant exactly at a hand-off belongs to the
 * next person; an override's `to` is exclusive.
 *
 * Throws if the schedule is invalid (run `validatePeople` at config load).
 */
export function onCallAt(schedule: Schedule, at: number): OnCall {
  if (!Number.isFinite(at)) throw new Error(`onCallAt: invalid instant ${String(at)}`);
  const rot = compileRotation(schedule);
  const spans = overrideSpans(schedule);
  // Every point where the override in force may change, sorted.
  const edges = [...new Set(spans.flatMap((s) => [s.from, s.to]))].sort((a, b) => a - b);
  const current = overrideAt(spans, at);
  // Widen [from, to) over override edges while the override in force stays the same one.
  let from = Number.NEGATIVE_INFINITY;
  for (let i = edges.length - 1; i >= 0; i--) {
    const e = edges[i] as number;
    if (e > at) continue;
    // Just before e, is the same override (or none) in force?
    if (overrideAt(spans, e - 1) !== current) {
      from = e;
      break;
    }
  }
  let to = Number.POSITIVE_INFINITY;
  for (const e of edges) {
    if (e <= at) continue;
    if (overrideAt(spans, e) !== current) {
      to = e;
      break;
    }
  }
  if (current) return { user: current.user, from, to, override: true };
  const shift = shiftAt(rot, at);
  return { user: memberOf(rot, shift.k), from: Math.max(from, shift.from), to: Math.min(to, shift.to), override: false };
}

/**
 * The next `count` changes after the one in force at `at`: each entry is who
 * takes over at its `from` (a rotation hand-off or an override edge).
 */
export function upcomingHandoffs(schedule: Schedule, at: number, count: number): OnCall[] {
  const out: OnCall[] = [];
  let cursor = onCallAt(schedule, at);
  while (out.length < count) {
    const next = onCallAt(schedule, cursor.to);
    out.push(next);
    cursor = next;
  }
  return out;
}

/* ------------------------------------------------------------------------ */
/* Resolving people                                                          */
/* ------------------------------------------------------------------------ */

/**
 * The people a route notifies at `at`, in a stable order: `users` as listed,
 * then each team's members, then whoever is on call on each `on_call`
 * schedule; a person listed more than once keeps their first place.
 * Unknown names throw: config loading must have rejected them already.
 */
export function resolvePeople(
  selector: PeopleSelector,
  directory: ReadonlyMap<string, User>,
  teams: ReadonlyMap<string, Team>,
  schedules: ReadonlyMap<string, Schedule>,
  at: number,
): Person[] {
  const names: string[] = [...(selector.users ?? [])];
  for (const t of selector.teams ?? []) {
    const team = teams.get(t);
    if (!team) throw new Error(`no team named "${t}"`);
    names.push(...team.members);
  }
  const onCall = selector.on_call === undefined ? [] : typeof selector.on_call === 'string' ? [selector.on_call] : selector.on_call;
  for (const s of onCall) {
    const schedule = schedules.get(s);
    if (!schedule) throw new Error(`no schedule named "${s}"`);
    names.push(onCallAt(schedule, at).user);
  }
  const seen = new Set<string>();
  const people: Person[] = [];
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const user = directory.get(name);
    if (!user) throw new Error(`no user named "${name}"`);
    people.push({ name: user.name, contacts: { ...user.contacts } });
  }
  return people;
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

/**
 * The form one contact kind must have. Core knows no kinds: the receiver that
 * reads a kind declares it (`ReceiverDefinition.contact`), and config loading
 * passes the registered ones in. Kinds no rule names are free text.
 */
export interface ContactRule {
  /** The key under `contacts`, e.g. `email`. */
  field: string;
  pattern: RegExp;
  /** The issue's message when the value does not match. */
  message: string;
}

function validateSchedule(s: Schedule, base: string, users: ReadonlySet<string> | undefined): PeopleIssue[] {
  const issues: PeopleIssue[] = [];
  const at = (p: string) => (base === '' ? p : `${base}.${p}`);
  if (!isValidTimeZone(s.time_zone))
    issues.push({ path: at('time_zone'), message: `unknown time zone "${s.time_zone}" (an IANA name such as Europe/Berlin or UTC)` });
  const r = s.rotation;
  if (r.members.length === 0) issues.push({ path: at('rotation.members'), message: 'must list at least one user' });
  if (users) {
    r.members.forEach((m, i) => {
      if (!users.has(m)) issues.push({ path: at(`rotation.members[${i}]`), message: `no user named "${m}"` });
    });
  }
  const length = LENGTH_RE.exec(r.length);
  if (!length) issues.push({ path: at('rotation.length'), message: `"${r.length}" is not a rotation length: <N>h, <N>d or <N>w, e.g. 12h, 1d, 1w` });
  if (parseTime(r.handoff) === undefined) issues.push({ path: at('rotation.handoff'), message: `"${r.handoff}" is not a time of day (HH:MM, 00:00–23:59)` });
  const start = parseDate(r.start);
  if (start === undefined) issues.push({ path: at('rotation.start'), message: `"${r.start}" is not a date (YYYY-MM-DD)` });
  if (r.handoff_day !== undefined) {
    const want = WEEKDAYS.indexOf(r.handoff_day);
    if (want < 0) issues.push({ path: at('rotation.handoff_day'), message: `must be one of: ${WEEKDAYS.join(', ')}` });
    else if (length && length[2] !== 'w') {
      issues.push({ path: at('rotation.handoff_day'), message: `only applies to week-based lengths (e.g. 1w), not "${r.length}"` });
    } else if (start !== undefined && weekdayIndex(start) !== want) {
      issues.push({ path: at('rotation.start'), message: `${r.start} is a ${WEEKDAYS[weekdayIndex(start)]}, but handoff_day is ${r.handoff_day}` });
    }
  }
  s.overrides.forEach((o, i) => {
    const from = Date.parse(o.from);
    const to = Date.parse(o.to);
    if (Number.isNaN(from)) issues.push({ path: at(`overrides[${i}].from`), message: `"${o.from}" is not an RFC 3339 timestamp` });
    if (Number.isNaN(to)) issues.push({ path: at(`overrides[${i}].to`), message: `"${o.to}" is not an RFC 3339 timestamp` });
    if (!Number.isNaN(from) && !Number.isNaN(to) && from >= to) issues.push({ path: at(`overrides[${i}].to`), message: `must be after from (${o.from})` });
    if (users && !users.has(o.user)) issues.push({ path: at(`overrides[${i}].user`), message: `no user named "${o.user}"` });
  });
  return issues;
}

/**
 * Checks what a schema cannot: references between sections, duplicate names,
 * time zones, hand-off times, dates, override spans, and the form of the
 * contacts `contactRules` name. Paths look like
 * `schedules[0].rotation.members[2]`.
 */
export function validatePeople(
  people: { users: readonly User[]; teams: readonly Team[]; schedules: readonly Schedule[] },
  contactRules: readonly ContactRule[] = [],
): PeopleIssue[] {
  const issues: PeopleIssue[] = [];
  const userNames = new Set<string>();
  people.users.forEach((u, i) => {
    if (userNames.has(u.name)) issues.push({ path: `users[${i}].name`, message: `duplicate user name "${u.name}"` });
    userNames.add(u.name);
    for (const [kind, value] of Object.entries(u.contacts)) {
      // Two receivers may read one kind; each one's rule must hold, and one message is enough per rule.
      const messages = new Set(contactRules.filter((r) => r.field === kind && !r.pattern.test(value)).map((r) => r.message));
      for (const message of messages) issues.push({ path: `users[${i}].contacts.${kind}`, message });
    }
  });
  const teamNames = new Set<string>();
  people.teams.forEach((t, i) => {
    if (teamNames.has(t.name)) issues.push({ path: `teams[${i}].name`, message: `duplicate team name "${t.name}"` });
    teamNames.add(t.name);
    const members = new Set<string>();
    t.members.forEach((m, j) => {
      if (!userNames.has(m)) issues.push({ path: `teams[${i}].members[${j}]`, message: `no user named "${m}"` });
      else if (members.has(m)) issues.push({ path: `teams[${i}].members[${j}]`, message: `"${m}" is listed twice` });
      members.add(m);
    });
  });
  const scheduleNames = new Set<string>();
  people.schedules.forEach((s, i) => {
    if (scheduleNames.has(s.name)) issues.push({ path: `schedules[${i}].name`, message: `duplicate schedule name "${s.name}"` });
    scheduleNames.add(s.name);
    issues.push(...validateSchedule(s, `schedules[${i}]`, userNames));
  });
  return issues;
}

/**
 * Checks a route's `users:`, `teams:` and `on_call:` against the sections.
 * `base` is the route's path, e.g. `routes[3]`.
 */
export function validateSelector(
  selector: PeopleSelector,
  base: string,
  directory: ReadonlyMap<string, User>,
  teams: ReadonlyMap<string, Team>,
  schedules: ReadonlyMap<string, Schedule>,
): PeopleIssue[] {
  const issues: PeopleIssue[] = [];
  (selector.users ?? []).forEach((u, i) => {
    if (!directory.has(u)) issues.push({ path: `${base}.users[${i}]`, message: `no user named "${u}"` });
  });
  (selector.teams ?? []).forEach((t, i) => {
    if (!teams.has(t)) issues.push({ path: `${base}.teams[${i}]`, message: `no team named "${t}"` });
  });
  if (typeof selector.on_call === 'string') {
    if (!schedules.has(selector.on_call)) issues.push({ path: `${base}.on_call`, message: `no schedule named "${selector.on_call}"` });
  } else {
    (selector.on_call ?? []).forEach((s, i) => {
      if (!schedules.has(s)) issues.push({ path: `${base}.on_call[${i}]`, message: `no schedule named "${s}"` });
    });
  }
  return issues;
}
