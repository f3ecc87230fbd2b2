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
  const allowed = ENUMERATED[rawName];
  if (strict && allowed && (op === '=' || op === '!=') && value !== '' && !allowed.includes(value)) {
    throw new Error(
      `${rawName}${op}${JSON.stringify(value)} ${op === '=' ? 'can never match' : 'always matches'}: ${rawName} is one of ${allowed.join(', ')} (or "" for none)`,
    );
  }
  const name = (MATCHABLE_FIELDS as readonly string[]).includes(rawName) || rawName.startsWith('labels.') ? rawName : `labels.${rawName}`;
  const matcher: Matcher = { name, op, value };
  if (op === '=~' || op === '!~') {
    try {
      matcher.regex = new RegExp(`^(?:${value})$`, 'u');
    } catch (err) {
      throw new Error(`invalid regex ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return matcher;
}

function fieldValue(event: HeraldEvent, name: string): string {
  if (name.startsWith('labels.')) return event.labels[name.slice(7)] ?? '';
  const v = event[name as MatchableField];
  return v === undefined ? '' : String(v);
}

/** An absent field or label reads as the empty string, as in Alertmanager. */
export function matches(matcher: Matcher, event: HeraldEvent): boolean {
  const actual = fieldValue(event, matcher.name);
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return matcher.regex?.test(actual) ?? false;
    case '!~':
      return !(matcher.regex?.test(actual) ?? false);
  }
}

export function matchesAll(matchers: readonly Matcher[], event: HeraldEvent): boolean {
  return matchers.every((m) => matches(m, event));
}
