import { type Static, Type } from '@herald/sdk';
import { type Matcher, parseMatcher } from '../core/matcher.js';
import { isValidTimeZone, WEEKDAYS, type Weekday } from '../core/oncall.js';
import type { InhibitRule, MaintenanceWindow, Silence, WeeklyRange } from '../core/silence.js';
import { compileValidator, type ValidationIssue } from '../lib/validate.js';
import { withDefaults } from './defaults.js';

const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$';
const LABEL_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_.\\-/]{0,127}$';
const MatcherText = Type.String({ minLength: 1, maxLength: 1024, description: 'a matcher: name=value, name!=value, name=~regex or name!~regex' });

export const SilenceSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: 'unique silence id (letters, digits, _ . @ : -); default silences[<index>]' })),
    matchers: Type.Array(MatcherText, { minItems: 1, maxItems: 64, description: 'all must match' }),
    starts_at: Type.String({ format: 'rfc3339', description: 'inclusive' }),
    ends_at: Type.String({ format: 'rfc3339', description: 'exclusive' }),
    author: Type.String({ minLength: 1, maxLength: 256 }),
    comment: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);

// start, end and days are checked below, with messages that name the expected form.
export const WeeklyRangeSchema = Type.Object(
  {
    days: Type.Array(Type.String(), { minItems: 1, maxItems: 7, description: 'weekdays the slot starts on: monday … sunday' }),
    start: Type.String({ description: 'HH:MM local, inclusive' }),
    end: Type.String({ description: 'HH:MM local (or 24:00), exclusive; not after start means the next day' }),
  },
  { additionalProperties: false },
);

export const MaintenanceWindowSchema = Type.Object(
  {
    name: Type.String({ pattern: NAME_PATTERN, description: 'unique window name (letters, digits, _ . @ : -)' }),
    matchers: Type.Array(MatcherText, { minItems: 1, maxItems: 64, description: 'all must match' }),
    time_zone: Type.String({ minLength: 1, description: 'IANA time zone, e.g. Europe/Berlin' }),
    weekly: Type.Array(WeeklyRangeSchema, { minItems: 1, maxItems: 64 }),
    comment: Type.String({ maxLength: 4096, default: '' }),
  },
  { additionalProperties: false },
);

export const InhibitRuleSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ pattern: NAME_PATTERN, description: 'shown in suppression records; default inhibit_rules[<index>]' })),
    source_matchers: Type.Array(MatcherText, { minItems: 1, maxItems: 64, description: 'a firing alert matching all of these mutes targets' }),
    target_matchers: Type.Array(MatcherText, { minItems: 1, maxItems: 64, description: 'alerts matching all of these are muted' }),
    equal: Type.Array(Type.String({ pattern: LABEL_NAME_PATTERN }), {
      maxItems: 64,
      default: [],
      description: 'labels that must have the same value on source and target',
    }),
  },
  { additionalProperties: false },
);

/** The `silences:`, `maintenance:` and `inhibit_rules:` sections of the config file. */
export const SilenceSectionsSchema = Type.Object({
  silences: Type.Array(SilenceSchema, { maxItems: 10_000, default: [], description: 'fixed-time silences' }),
  maintenance: Type.Array(MaintenanceWindowSchema, { maxItems: 1000, default: [], description: 'weekly maintenance windows in a time zone' }),
  inhibit_rules: Type.Array(InhibitRuleSchema, { maxItems: 1000, default: [], description: 'a firing alert mutes related ones' }),
});

export type RawSilenceSections = Static<typeof SilenceSectionsSchema>;

export interface SilenceConfig {
  /** Static silences from the config file. */
  silences: Silence[];
  windows: MaintenanceWindow[];
  rules: InhibitRule[];
  /** Empty when the sections are valid; otherwise the lists are empty and must not be used. */
  issues: ValidationIssue[];
}

const validator = compileValidator<RawSilenceSections>(SilenceSectionsSchema);

const START_RE = /^([01]\d|2[0-3]):[0-5]\d$/;
const END_RE = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

/** Parses each matcher; a bad one becomes an issue at `base[i]`. */
function matchers(texts: readonly string[], base: string, issues: ValidationIssue[]): Matcher[] {
  const out: Matcher[] = [];
  texts.forEach((text, i) => {
    try {
      out.push(parseMatcher(text));
    } catch (err) {
      issues.push({ path: `${base}[${i}]`, message: (err as Error).message });
    }
  });
  return out;
}

/** Alertmanager's rule for silences: a `=` or `=~` matcher that accepts the empty string would also match alerts without the label. */
export function matchesEmpty(m: Matcher): boolean {
  if (m.op === '=') return m.value === '';
  if (m.op === '=~') return m.regex?.test('') ?? false;
  return false;
}

/** Checks weekdays and times of day of `maintenance[i].weekly`; `base` is that path. */
function weekly(ranges: readonly Static<typeof WeeklyRangeSchema>[], base: string, issues: ValidationIssue[]): WeeklyRange[] {
  return ranges.map((r, j) => {
    const at = `${base}[${j}]`;
    const days: Weekday[] = [];
    r.days.forEach((d, k) => {
      const day = d.toLowerCase() as Weekday;
      if (!WEEKDAYS.includes(day)) issues.push({ path: `${at}.days[${k}]`, message: `unknown weekday "${d}" (one of: ${WEEKDAYS.join(', ')})` });
      else if (days.includes(day)) issues.push({ path: `${at}.days[${k}]`, message: `"${d}" is listed twice` });
      else days.push(day);
    });
    const startOk = START_RE.test(r.start);
    const endOk = END_RE.test(r.end);
    if (!startOk) issues.push({ path: `${at}.start`, message: `must be HH:MM (00:00–23:59), not "${r.start}"` });
    if (!endOk) issues.push({ path: `${at}.end`, message: `must be HH:MM (00:00–23:59, or 24:00), not "${r.end}"` });
    if (startOk && endOk && r.start === r.end) {
      issues.push({ path: `${at}.end`, message: `must differ from start (${r.start}); for a whole day use start 00:00 and end 24:00` });
    }
    return { days, start: r.start, end: r.end };
  });
}

/**
 * Validates and builds the `silences:`, `maintenance:` and `inhibit_rules:`
 * sections: shape first, then matchers, timestamps, time zones, weekdays,
 * times of day and duplicate ids/names. Pass the raw config object or just
 * those keys; other keys are ignored. Paths look like
 * `maintenance[0].weekly[1].start`.
 */
export function buildSilenceConfig(raw: { silences?: unknown; maintenance?: unknown; inhibit_rules?: unknown }): SilenceConfig {
  const sections = { silences: raw.silences ?? undefined, maintenance: raw.maintenance ?? undefined, inhibit_rules: raw.inhibit_rules ?? undefined };
  // A section key with nothing under it is null in YAML: treat it as absent.
  for (const k of ['silences', 'maintenance', 'inhibit_rules'] as const) if (sections[k] === null) sections[k] = undefined;
  const fail = (issues: ValidationIssue[]): SilenceConfig => ({ silences: [], windows: [], rules: [], issues });
  // The defaults (empty lists, comment '', equal []) come from the schemas above.
  const filled = withDefaults<unknown>(SilenceSectionsSchema, sections);
  if (!validator.check(filled)) return fail(validator.issues(filled));

  const issues: ValidationIssue[] = [];

  const ids = new Set<string>();
  const silences: Silence[] = filled.silences.map((s, i) => {
    const at = `silences[${i}]`;
    const id = s.id ?? at;
    if (ids.has(id)) issues.push({ path: `${at}.id`, message: `duplicate silence id "${id}"` });
    ids.add(id);
    const parsed = matchers(s.matchers, `${at}.matchers`, issues);
    if (parsed.length === s.matchers.length && parsed.every(matchesEmpty)) {
      issues.push({ path: `${at}.matchers`, message: 'at least one matcher must not match the empty string (it would also match events without that label)' });
    }
    const starts_at = Date.parse(s.starts_at);
    const ends_at = Date.parse(s.ends_at);
    if (ends_at <= starts_at) issues.push({ path: at, message: 'ends_at must be after starts_at' });
    return { id, matchers: parsed, starts_at, ends_at, author: s.author, comment: s.comment };
  });

  const names = new Set<string>();
  const windows: MaintenanceWindow[] = filled.maintenance.map((w, i) => {
    const at = `maintenance[${i}]`;
    if (names.has(w.name)) issues.push({ path: `${at}.name`, message: `duplicate maintenance window name "${w.name}"` });
    names.add(w.name);
    if (!isValidTimeZone(w.time_zone)) {
      issues.push({ path: `${at}.time_zone`, message: `unknown time zone "${w.time_zone}" (an IANA name such as Europe/Berlin or UTC)` });
    }
    return {
      name: w.name,
      matchers: matchers(w.matchers, `${at}.matchers`, issues),
      time_zone: w.time_zone,
      weekly: weekly(w.weekly, `${at}.weekly`, issues),
      comment: w.comment,
    };
  });

  const ruleNames = new Set<string>();
  const rules: InhibitRule[] = filled.inhibit_rules.map((r, i) => {
    const at = `inhibit_rules[${i}]`;
    const name = r.name ?? at;
    if (ruleNames.has(name)) issues.push({ path: `${at}.name`, message: `duplicate inhibit rule name "${name}"` });
    ruleNames.add(name);
    return {
      name,
      source_matchers: matchers(r.source_matchers, `${at}.source_matchers`, issues),
      target_matchers: matchers(r.target_matchers, `${at}.target_matchers`, issues),
      equal: [...r.equal],
    };
  });

  if (issues.length > 0) return fail(issues);
  return { silences, windows, rules, issues: [] };
}
