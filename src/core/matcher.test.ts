import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeraldEvent } from '@herald/sdk';
import { explainRoutes } from './explain.js';
import { type Matcher, parseMatcher, parseStoredMatcher } from './matcher.js';
import { route } from './routing.js';
import { alertLabels, inhibitedBy, silencedBy } from './silence.js';

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
      'constructor="x"',
      'toString!=y',
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

describe('one evaluation for routes, explain, silences and inhibit rules', () => {
  const ev = (over: Partial<HeraldEvent>): HeraldEvent => ({
    id: 'evt_1',
    title: 'disk full',
    status: 'firing',
    labels: {},
    received_at: '2026-01-01T00:00:00.000Z',
    ...over,
  });
  const cases: [string, Partial<HeraldEvent>, boolean][] = [
    ['env=prod', { labels: { env: 'prod' } }, true],
    ['env!=prod', { labels: { env: 'prod' } }, false],
    ['env!=prod', {}, true],
    ['env=""', {}, true],
    ['env=~prod', { labels: { env: 'preprod' } }, false],
    ['env=~"prod|"', {}, true],
    ['env!~".+"', {}, true],
    ['severity=~"critical|error"', { severity: 'error' }, true],
    ['severity!~"critical|error"', { severity: 'error' }, false],
    ['source_type=github', { source_type: 'github' }, true],
    ['labels.severity=warning', { severity: 'critical', labels: { severity: 'warning' } }, true],
    ['severity=warning', { severity: 'critical', labels: { severity: 'warning' } }, false],
    ['action=deploy', { labels: { action: 'deploy' } }, false],
    ['constructor=""', {}, true],
    ['hasOwnProperty!=""', {}, false],
  ];
  for (const [text, over, want] of cases) {
    it(`${text} on ${JSON.stringify(over)} → ${want} everywhere`, () => {
      const event = ev(over);
      const matcher = parseMatcher(text);
      const labels = alertLabels(event);
      const got = {
        route: route([{ match: [matcher], receivers: ['x'], continue: false }], event).receivers.length > 0,
        explain: explainRoutes([{ match: [matcher], receivers: ['x'], continue: false }], event)[0]?.would_match,
        silence: silencedBy(labels, [{ id: 's', matchers: [matcher], starts_at: 0, ends_at: 10, author: 'a', comment: '' }], 5) !== undefined,
        inhibit_target:
          inhibitedBy(labels, [{ labels: { src: '1' } }], [{ source_matchers: [parseMatcher('src="1"')], target_matchers: [matcher], equal: [] }]) !==
          undefined,
      };
      assert.deepEqual(got, { route: want, explain: want, silence: want, inhibit_target: want });
    });
  }

  it('a hand-built regex matcher (no compiled regex) is anchored by the same rule', () => {
    const hand: Matcher = { name: 'labels.env', op: '=~', value: 'prod' };
    assert.equal(route([{ match: [hand], receivers: ['x'], continue: false }], ev({ labels: { env: 'prod' } })).receivers.length, 1);
    assert.equal(route([{ match: [hand], receivers: ['x'], continue: false }], ev({ labels: { env: 'preprod' } })).receivers.length, 0);
    assert.equal(silencedBy({ env: 'preprod' }, [{ id: 's', matchers: [hand], starts_at: 0, ends_at: 10, author: 'a', comment: '' }], 5), undefined);
  });
});
