import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeraldEvent } from '@herald/sdk';
import { parseMatcher } from './matcher.js';
import { type Route, route } from './routing.js';

const ev = (over: Partial<HeraldEvent> = {}): HeraldEvent => ({
  id: '01J0000000000000000000000',
  title: 'disk full',
  status: 'firing',
  labels: {},
  received_at: '2026-01-01T00:00:00.000Z',
  ...over,
});

const r = (match: string[], receivers: string[], cont = false): Route => ({ match: match.map(parseMatcher), receivers, continue: cont });

describe('matchers', () => {
  const cases: [string, Partial<HeraldEvent>, boolean][] = [
    ['source=github', { source: 'github' }, true],
    ['source=github', { source: 'gitlab' }, false],
    ['source!=github', { source: 'gitlab' }, true],
    ['source!=github', {}, true],
    ['severity=~"critical|error"', { severity: 'error' }, true],
    ['severity=~"critical|error"', { severity: 'warning' }, false],
    ['severity!~"critical|error"', { severity: 'warning' }, true],
    // Regexes are anchored: "prod" does not match "preprod".
    ['env=~prod', { labels: { env: 'preprod' } }, false],
    ['env=~prod', { labels: { env: 'prod' } }, true],
    ['labels.env=prod', { labels: { env: 'prod' } }, true],
    ['team=', { labels: {} }, true],
    ['team=', { labels: { team: 'x' } }, false],
    ['status=resolved', { status: 'resolved' }, true],
    ['key=~"check:.*"', { key: 'check:api' }, true],
    ['title=~".*disk.*"', {}, true],
    ['service="a b"', { labels: { service: 'a b' } }, true],
    // Only a label's own property counts: these read "" on an event that never sent them
    // (they used to read Object.prototype's members, so `constructor=""` failed to match).
    ['constructor=""', { labels: {} }, true],
    ['constructor!=""', { labels: {} }, false],
    ['toString=~".+"', { labels: {} }, false],
    ['__proto__=""', { labels: {} }, true],
    ['labels.severity=warning', { severity: 'critical', labels: { severity: 'warning' } }, true],
    ['severity=warning', { severity: 'critical', labels: { severity: 'warning' } }, false],
    ['action=deploy', { labels: { action: 'deploy' } }, false],
  ];
  for (const [text, over, want] of cases) {
    it(`${text} on ${JSON.stringify(over)} → ${want}`, () => {
      assert.equal(route([r([text], ['x'])], ev(over)).receivers.length > 0, want);
    });
  }

  it('rejects malformed matchers and bad regexes with a reason', () => {
    assert.throws(() => parseMatcher('just-a-name'), /not a matcher/);
    assert.throws(() => parseMatcher('a=~"("'), /invalid regex/);
  });
});

describe('routing', () => {
  const routes = [
    r(['source=github', 'action=push'], ['git-feed']),
    r(['severity=~"critical|error"'], ['pager'], true),
    r(['env=prod'], ['prod-chat']),
    r([], ['default']),
  ];
  const cases: [string, Partial<HeraldEvent>, string[], number[]][] = [
    ['first match wins', { source: 'github', action: 'push', severity: 'critical' }, ['git-feed'], [0]],
    ['all matchers must hold', { source: 'github', action: 'opened' }, ['default'], [3]],
    ['continue falls through to the next match', { severity: 'critical', labels: { env: 'prod' } }, ['pager', 'prod-chat'], [1, 2]],
    ['continue then default', { severity: 'error' }, ['pager', 'default'], [1, 3]],
    ['empty match is the default route', {}, ['default'], [3]],
  ];
  for (const [name, over, receivers, matched] of cases) {
    it(name, () => {
      const d = route(routes, ev(over));
      assert.deepEqual(d.receivers, receivers);
      assert.deepEqual(d.matchedRoutes, matched);
    });
  }

  it('no routes, no receivers', () => {
    assert.deepEqual(route([], ev()).receivers, []);
  });

  it('a receiver named by two matching routes is delivered to once', () => {
    const d = route([r([], ['a'], true), r([], ['a', 'b'])], ev());
    assert.deepEqual(d.receivers, ['a', 'b']);
  });
});
