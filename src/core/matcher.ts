import type { HeraldEvent } from '@herald/sdk';

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

/**
 * Parses `name<op>value`, e.g. `severity=~"critical|error"` or `env!=dev`.
 * Values may be double-quoted. Regexes are anchored at both ends, as in
 * Alertmanager, so `=~prod` does not match `preprod`.
 */
export function parseMatcher(text: string): Matcher {
  const m = MATCHER_RE.exec(text);
  if (!m) throw new Error(`not a matcher: expected name=value, name!=value, name=~regex or name!~regex`);
  const [, rawName, op, rawValue] = m as unknown as [string, string, MatchOp, string];
  let value = rawValue;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = JSON.parse(value) as string;
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
