/**
 * Silences, recurring maintenance windows and inhibition rules: the model that
 * decides whether a notification is suppressed.
 *
 * Pure: no I/O and no clock. Every function that depends on time takes the
 * instant (milliseconds since the epoch) as a parameter. Instants are
 * half-open intervals everywhere: a start is inclusive, an end exclusive.
 *
 * Everything matches against a flat label set (`Labels`) with the route
 * matchers and the one evaluation of `matcher.ts` (`labelsMatch`):
 * `host=~"db-.*"` reads the label `host`, `severity="critical"` the event
 * field; `alertLabels(event)` builds such a set from an event so that each
 * matcher reads what it reads on the event in a route. As in Alertmanager, a
 * matcher on a label that is absent compares with the empty string.
 */
import type { HeraldEvent } from '@herald/sdk';
import { eventValue, labelSetKeyOfLabel, labelSetValue, labelsMatch, MATCHABLE_FIELDS, type Matcher } from './matcher.js';
import { formatLocal, localToEpoch, WEEKDAYS, type Weekday } from './oncall.js';

/** A flat label set: label names (and event field names, see `alertLabels`) to values. */
export type Labels = Readonly<Record<string, string>>;

/** A one-off mute: notifications for matching events are suppressed in `[starts_at, ends_at)`. */
export interface Silence {
  id: string;
  /** All must match. Parsed with `parseMatcher`. */
  matchers: Matcher[];
  /** Epoch ms, inclusive. */
  starts_at: number;
  /** Epoch ms, exclusive. */
  ends_at: number;
  author: string;
  comment: string;
}

/** One weekly slot of a maintenance window, in the window's time zone. */
export interface WeeklyRange {
  /** The weekdays on which the slot starts. */
  days: Weekday[];
  /** `HH:MM` local, inclusive. */
  start: string;
  /**
   * `HH:MM` local, exclusive, or `24:00` for the end of the day. An end not
   * after `start` lies on the next day (`22:00`–`02:00` spans midnight).
   */
  end: string;
}

/** A recurring mute: notifications for matching events are suppressed while any weekly slot is open. */
export interface MaintenanceWindow {
  name: string;
  /** All must match. */
  matchers: Matcher[];
  /** IANA time zone the weekly slots are read in, e.g. `Europe/Berlin`. */
  time_zone: string;
  weekly: WeeklyRange[];
  comment: string;
}

/** Mutes targets while a matching source alert fires (Alertmanager's `inhibit_rules`). */
export interface InhibitRule {
  /** Shown as `by` when this rule suppresses a notification; `buildSilenceConfig` names unnamed rules `inhibit_rules[<i>]`. */
  name?: string;
  source_matchers: Matcher[];
  target_matchers: Matcher[];
  /** Label names whose values must be the same on the source and the target (absent on both counts as the same). */
  equal: string[];
}

/** A currently firing alert, as inhibition sources see it. */
export interface FiringAlert {
  labels: Labels;
}

export interface Inhibition<F extends FiringAlert = FiringAlert> {
  rule: InhibitRule;
  /** The firing alert that mutes the target. */
  source: F;
}

/** Why a notification is suppressed. Suppressed notifications are recorded, not delivered. */
export type Suppression =
  | {
      kind: 'silenced';
      /** The silence id. */
      by: string;
      /** When the silence ends (epoch ms, exclusive): re-evaluate then. */
      until: number;
    }
  | {
      kind: 'maintenance';
      /** The maintenance window name. */
      by: string;
      /** When the window closes (epoch ms, exclusive); absent if it never closes. */
      until?: number;
    }
  | {
      kind: 'inhibited';
      /** The inhibit rule's name. */
      by: string;
      /** Inhibition lasts as long as the source fires: no end is known in advance. */
      until?: undefined;
      /** The labels of the firing alert that mutes this one. */
      source: Labels;
    };

export interface SuppressionInputs {
  silences?: readonly Silence[];
  windows?: readonly MaintenanceWindow[];
  /** Alerts firing now: the candidate inhibition sources. */
  firing?: readonly FiringAlert[];
  rules?: readonly InhibitRule[];
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                  */
/* ------------------------------------------------------------------------ */

export { labelsMatch };

/**
 * Adds `labels` to a flat label set, a label named like an event field under
 * `labels.<name>` so it neither hides nor stands in for the field (as on an
 * event: `severity` is the field, `labels.severity` the label).
 */
export function addLabels(into: Record<string, string>, labels: Labels): Record<string, string> {
  for (const [name, value] of Object.entries(labels)) into[labelSetKeyOfLabel(name)] = value;
  return into;
}

/**
 * The label set of an event: its labels plus the matchable event fields
 * (`source`, `source_type`, `type`, `action`, `status`, `severity`, `key`, `title`) under
 * their own names, so every matcher reads here what it reads on the event in
 * a route (`eventValue`): `severity="critical"` the field, `labels.severity`
 * a label of that name.
 */
export function alertLabels(event: HeraldEvent): Record<string, string> {
  const out = addLabels({}, event.labels);
  for (const field of MATCHABLE_FIELDS) {
    if (event[field] !== undefined) out[field] = eventValue(event, field);
  }
  return out;
}

/* ------------------------------------------------------------------------ */
/* Silences                                                                  */
/* ------------------------------------------------------------------------ */

/** The silences in force at `at`: `starts_at <= at < ends_at`, in their given order. */
export function activeSilences(silences: readonly Silence[], at: number): Silence[] {
  return silences.filter((s) => s.starts_at <= at && at < s.ends_at);
}

/**
 * The active silence that mutes `labels` at `at`, if any: every matcher must
 * match. When several do, the one that ends last (the first listed on a tie).
 * A silence without matchers matches nothing (Alertmanager refuses those).
 */
export function silencedBy(labels: Labels, silences: readonly Silence[], at: number): Silence | undefined {
  let best: Silence | undefined;
  for (const s of activeSilences(silences, at)) {
    if (s.matchers.length === 0 || !labelsMatch(s.matchers, labels)) continue;
    if (!best || s.ends_at > best.ends_at) best = s;
  }
  return best;
}

/* ------------------------------------------------------------------------ */
/* Maintenance windows                                                       */
/* ------------------------------------------------------------------------ */

const DAY_MS = 86_400_000;
const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → `YYYY-MM-DD` `n` calendar days later. */
function addDays(date: string, n: number): string {
  const m = DAY_RE.exec(date);
  if (!m) throw new Error(`"${date}" is not a date (YYYY-MM-DD)`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + n * DAY_MS).toISOString().slice(0, 10);
}

function weekdayOf(date: string): Weekday {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return WEEKDAYS[(day + 6) % 7] as Weekday;
}

/**
 * The UTC spans `[start, end)` of the window's slots that start on local dates
 * `from` … `to` (inclusive), sorted by start. Local times are placed with
 * `localToEpoch`: a time skipped when clocks go forward means the moment of
 * the change, a time repeated when they go back its first occurrence. A slot
 * that lies wholly inside a skipped hour is empty and left out.
 */
function slots(window: MaintenanceWindow, from: string, count: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const date = addDays(from, i);
    const weekday = weekdayOf(date);
    for (const r of window.weekly) {
      if (!r.days.includes(weekday)) continue;
      const start = localToEpoch(window.time_zone, date, r.start);
      const end =
        r.end === '24:00'
          ? localToEpoch(window.time_zone, addDays(date, 1), '00:00')
          : localToEpoch(window.time_zone, r.end > r.start ? date : addDays(date, 1), r.end);
      if (end > start) out.push([start, end]);
    }
  }
  return out.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Joins overlapping and touching spans. Input sorted by start. */
function merge(spans: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [s, e] of spans) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

function localDate(at: number, timeZone: string): string {
  return formatLocal(at, timeZone).slice(0, 10);
}

/**
 * True while one of the window's weekly slots is open at `at`: from its start
 * (inclusive) to its end (exclusive), in the window's time zone, on the days
 * the slot starts. A slot crossing midnight belongs to the day it starts on.
 */
export function windowActiveAt(window: MaintenanceWindow, at: number): boolean {
  if (!Number.isFinite(at)) throw new Error(`windowActiveAt: invalid instant ${String(at)}`);
  // A slot lasts at most one local day, so only slots starting yesterday or today can hold `at`.
  return slots(window, addDays(localDate(at, window.time_zone), -1), 2).some(([s, e]) => s <= at && at < e);
}

/**
 * The first instant after `at` at which `windowActiveAt` changes: the end of
 * the open span holding `at`, or the start of the next one. Overlapping or
 * touching slots count as one span. `Number.POSITIVE_INFINITY` if the window
 * never changes (no slots, or open around the clock).
 */
export function nextWindowChange(window: MaintenanceWindow, at: number): number {
  if (!Number.isFinite(at)) throw new Error(`nextWindowChange: invalid instant ${String(at)}`);
  const today = localDate(at, window.time_zone);
  // The pattern repeats weekly, so a change, if any, comes within 7 days. Slots starting yesterday … in 8 days
  // cover that; a span edge before the first slot date that is not in the list (today + 9) is a real change.
  const spans = merge(slots(window, addDays(today, -1), 10));
  const horizon = localToEpoch(window.time_zone, addDays(today, 9), '00:00');
  let next = Number.POSITIVE_INFINITY;
  for (const [s, e] of spans) {
    for (const edge of [s, e]) if (edge > at && edge < horizon && edge < next) next = edge;
  }
  return next;
}

/* ------------------------------------------------------------------------ */
/* Inhibition                                                                */
/* ------------------------------------------------------------------------ */

function equalOn(names: readonly string[], a: Labels, b: Labels): boolean {
  return names.every((n) => labelSetValue(a, n) === labelSetValue(b, n));
}

/**
 * The first rule and firing alert that mute `target`, if any (Alertmanager
 * semantics): the target matches the rule's `target_matchers`, a firing alert
 * matches its `source_matchers`, and each label in `equal` has the same value
 * on both (absent reads as empty, so absent on both is equal).
 *
 * When the target matches the source side too, firing alerts that match both
 * sides are not considered as sources: an alert never inhibits itself, nor
 * does an alert of the same "class" inhibit it (Alertmanager's
 * `excludeTwoSidedMatch`).
 */
export function inhibitedBy<F extends FiringAlert>(target: Labels, firing: readonly F[], rules: readonly InhibitRule[]): Inhibition<F> | undefined {
  for (const rule of rules) {
    if (!labelsMatch(rule.target_matchers, target)) continue;
    const excludeTwoSided = labelsMatch(rule.source_matchers, target);
    for (const source of firing) {
      if (!labelsMatch(rule.source_matchers, source.labels)) continue;
      if (!equalOn(rule.equal, source.labels, target)) continue;
      if (excludeTwoSided && labelsMatch(rule.target_matchers, source.labels)) continue;
      return { rule, source };
    }
  }
  return undefined;
}

/* ------------------------------------------------------------------------ */
/* All together                                                              */
/* ------------------------------------------------------------------------ */

/**
 * Whether a notification for `labels` is suppressed at `at`, and why. Checked
 * in this order, the first reason wins: an active silence, an open maintenance
 * window whose matchers match (the one that closes last), an inhibition.
 */
export function suppression(labels: Labels, inputs: SuppressionInputs, at: number): Suppression | undefined {
  const silence = silencedBy(labels, inputs.silences ?? [], at);
  if (silence) return { kind: 'silenced', by: silence.id, until: silence.ends_at };

  let window: { name: string; until: number } | undefined;
  for (const w of inputs.windows ?? []) {
    if (!labelsMatch(w.matchers, labels) || !windowActiveAt(w, at)) continue;
    const until = nextWindowChange(w, at);
    if (!window || until > window.until) window = { name: w.name, until };
  }
  if (window) return Number.isFinite(window.until) ? { kind: 'maintenance', by: window.name, until: window.until } : { kind: 'maintenance', by: window.name };

  const rules = inputs.rules ?? [];
  const inhibition = inhibitedBy(labels, inputs.firing ?? [], rules);
  if (inhibition) {
    const by = inhibition.rule.name ?? `inhibit_rules[${rules.indexOf(inhibition.rule)}]`;
    return { kind: 'inhibited', by, source: inhibition.source.labels };
  }
  return undefined;
}
