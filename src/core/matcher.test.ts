import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseMatcher, parseStoredMatcher } from './matcher.js';

describe('matcher validation', () => {
  it('refuses likely mistakes that would silently never match, with a hint', () => {
    const cases: [string, string][] = [
      ['severity=="critical"', '"==" is not a matcher operator; use "=" (as in Alertmanager): severity="critical"'],
      ['env!=="prod"', '"!==" is not a matcher operator; use "!=" (as in Alertmanager): env!="prod"'],
      ['service=~~"api.*"', '"=~~" is not a matcher operator; use "=~": service=~"api.*"'],
      ["severity='critical'", 'single quotes do not quote a matcher value (they would be part of it); use double quotes or none: severity="critical"'],
      ['env="prod', 'unbalanced double quote in the value "prod; quote the whole value: env="prod"'],
      ['env=prod"', 'unbalanced double quote in the value prod"; quote the whole value: env="prod"'],
      ['env="a\\qb"', 'the value "a\\qb" is not a valid double-quoted string: Bad escaped character in JSON at position 3'],
      ['severity="crit"', 'severity="crit" can never match: severity is one of critical, error, warning, info (or "" for none)'],
      ['status!=open', 'status!="open" always matches: status is one of firing, resolved, info (or "" for none)'],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseMatcher(text),
        (err: unknown) => (err as Error).message.startsWith(message.split(' at position')[0] as string),
        text,
      );
    }
  });

  it('keeps accepting what is right', () => {
    for (const text of [
      'severity="critical"',
      'severity=critical',
      'severity!=""',
      'status=~"firing|resolved"',
      'env="it\'s"',
      'title="a == b"',
      'labels.x="="',
    ]) {
      assert.doesNotThrow(() => parseMatcher(text), text);
    }
    assert.equal(parseMatcher('title="a == b"').value, 'a == b');
    assert.deepEqual(parseMatcher(' team = "core" '), { name: 'labels.team', op: '=', value: 'core' });
  });

  it('reads matchers stored before the checks existed as they were read then', () => {
    assert.deepEqual(parseStoredMatcher('severity=="critical"'), { name: 'severity', op: '=', value: '="critical"' });
  });
});
