import { EVENT_STATUSES, type HeraldEvent, SEVERITIES } from '@herald/sdk';

export type MatchOp = '=' | '!=' | '=~' | '!~';

/** Event fields a matcher can name directly; any other name is a label. */
export const MATCHABLE_FIELDS = ['source', 'source_type', 'type', 'action', 'status', 'severity', 'key', 'title'] as const;
type MatchableField = (typeof MATCHABLE_FIELDS)[number];

export interface Matcher {
  /** `labels.<name>` for labels, otherwise one of MATCHABLE_FIELDS. */
  name: string;
  op: MatchOp;
  value: string;
  /** Compiled, fully anchored, for the regex operators. */
  regex?: RegExp;
}

const MATCHER_RE = /^\s*([A-Za-z_][A-Za-z0-9_.\-/]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/;

/** Values `=`/`!=` can meet on the enumerated fields; any other value would never (or always) match. */
const ENUMERATED: Record<string, readonly string[]> = { severity: SEVERITIES, status: EVENT_STATUSES };

/**
 * Parses `name<op>value`, e.g. `severity=~"critical|error"` or `env!=dev`.
 * Values may be double-quoted. Regexes are anchored at both ends, as in
 * Alertmanager, so `=~prod` does not match `preprod`.
 *
 * Strict by default: a matcher that is valid syntax but a likely mistake that would silently
 * never match (`severity=="critical"`, `severity='critical'`, `severity="crit"`) is refused with
 * a hint. parseStoredMatcher skips these checks, for matchers stored before they existed.
 */
export function parseMatcher(text: string): Matcher {
  return parse(text, true);
}

/** As parseMatcher, without the mistake checks: for matchers already stored (API silences). */
export function parseStoredMatcher(text: string): Matcher {
  return parse(text, false);
}

function parse(text: string, strict: boolean): Matcher {
  const m = MATCHER_RE.exec(text);
  if (!m) throw new Error(`not a matcher: expected name=value, name!=value, name=~regex or name!~regex`);
  const [, rawName, op, rawValue] = m as unknown as [string, string, MatchOp, string];
  let value = rawValue;
  if (strict) {
    if ((op === '=' || op === '!=') && value.startsWith('=')) {
      throw new Error(`"${op}=" is not a matcher operator; use "${op}" (as in Alertmanager): ${rawName}${op}${value.slice(1)}`);
    }
    if ((op === '=~' || op === '!~') && value.startsWith('~')) {
      throw new Error(`"${op}~" is not a matcher operator; use "${op}": ${rawName}${op}${value.slice(1)}`);
    }
    if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      throw new Error(
        `single quotes do not quote a matcher value (they would be part of it); use double quotes or none: ${rawName}${op}"${value.slice(1, -1)}"`,
      );
    }
    // For the regex operators an unbalanced quote shows as an invalid or odd regex anyway.
    if ((op === '=' || op === '!=') && value.startsWith('"') !== (value.endsWith('"') && value.length >= 2)) {
      throw new Error(`unbalanced double quote in the value ${value}; quote the whole value: ${rawName}${op}"${value.replace(/^"|"$/g, '')}"`);
    }
  }
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    try {
      value = JSON.parse(value) as string;
    } catch (err) {
      if (strict) throw new Error(`the value ${value} is not a valid double-quoted string: ${(err as Error).message}`);
    }
  }
  // Own keys only: a label named `constructor` is not an enumerated field.
  const allowed = Object.hasOwn(ENUMERATED, rawName) ? ENUMERATED[rawName] : undefined;
  if (strict && allowed && (op === '=' || op === '!=') && value !== '' && !allowed.includes(value)) {
    throw new Error(
      `${rawName}${op}${JSON.stringify(value)} ${op === '=' ? 'can never match' : 'always matches'}: ${rawName} is one of ${allowed.join(', ')} (or "" for none)`,
    );
  }
  const name = (MATCHABLE_FIELDS as readonly string[]).includes(rawName) || rawName.startsWith('labels.') ? rawName : `labels.${rawName}`;
  const matcher: Matcher = { name, op, value };
  if (op === '=~' || op === '!~') {
    try {
      matcher.regex = compileMatcherRegex(value);
    } catch (err) {
      throw new Error(`invalid regex ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return matcher;
}

/** The one anchoring rule (Alertmanager's): the whole value must match, so `=~prod` does not match `preprod`. */
function compileMatcherRegex(value: string): RegExp {
  return new RegExp(`^(?:${value})$`, 'u');
}

// Matchers built by hand (not by parse) carry no `regex`; compiling theirs once per matcher object keeps
// the hot path free of recompiles without a second anchoring rule.
const lazyRegex = new WeakMap<Matcher, RegExp>();

function regexOf(matcher: Matcher): RegExp {
  if (matcher.regex) return matcher.regex;
  let re = lazyRegex.get(matcher);
  if (!re) {
    re = compileMatcherRegex(matcher.value);
    lazyRegex.set(matcher, re);
  }
  return re;
}

const FIELD_NAMES: ReadonlySet<string> = new Set(MATCHABLE_FIELDS);

/** True for the names that mean an event field (`severity`), not a label, when a matcher names them. */
export function isMatchableField(name: string): name is MatchableField {
  return FIELD_NAMES.has(name);
}

/**
 * The key a matcher named `name` reads in a flat label set (`alertLabels`):
 * a field's name for a field, the label's name for a label, except that a
 * label named like a field sits under `labels.<name>` (the field owns the
 * bare name), so both keep the meaning they have on an event.
 */
function labelSetKey(name: string): string {
  if (!name.startsWith('labels.')) return name;
  const label = name.slice(7);
  return isMatchableField(label) ? name : label;
}

/**
 * The value a matcher named `name` reads from an event: the one place that
 * does so, for routes and explain; `alertLabels` builds silences' label sets
 * with the same reading. A field name reads the field, `labels.<x>` (or any
 * other name `x`) the label `x`. An absent field or label reads as the empty
 * string, as in Alertmanager; only a label's own property counts, so a label
 * named `constructor` that was never sent reads as absent, not as
 * Object.prototype's.
 */
export function eventValue(event: HeraldEvent, name: string): string {
  if (isMatchableField(name)) {
    const v = event[name];
    return v === undefined ? '' : String(v);
  }
  const label = name.startsWith('labels.') ? name.slice(7) : name;
  return Object.hasOwn(event.labels, label) ? (event.labels[label] ?? '') : '';
}

/** As `eventValue`, for a flat label set built by `alertLabels` (plus an incident's extras such as `route`). */
export function labelSetValue(labels: Readonly<Record<string, string>>, name: string): string {
  const key = labelSetKey(name);
  return Object.hasOwn(labels, key) ? (labels[key] ?? '') : '';
}

/** Where a label named `name` goes in a flat label set: see `labelSetKey`. */
export function labelSetKeyOfLabel(name: string): string {
  return isMatchableField(name) ? `labels.${name}` : name;
}

/** The one operator evaluation: whether `actual` (already read, absent as "") satisfies the matcher. */
export function matchesValue(matcher: Matcher, actual: string): boolean {
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return regexOf(matcher).test(actual);
    case '!~':
      return !regexOf(matcher).test(actual);
  }
}

/** Whether the matcher holds for the event (see `eventValue` for what it reads). */
export function matches(matcher: Matcher, event: HeraldEvent): boolean {
  return matchesValue(matcher, eventValue(event, matcher.name));
}

export function matchesAll(matchers: readonly Matcher[], event: HeraldEvent): boolean {
  return matchers.every((m) => matches(m, event));
}

/** True when every matcher holds for a flat label set (an empty list matches everything). */
export function labelsMatch(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matchesValue(m, labelSetValue(labels, m.name)));
}
