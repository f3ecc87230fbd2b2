import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeraldEvent } from '@herald/sdk';
import { explainRoutes } from './explain.js';
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
const r = (id: string, match: string[], receivers: string[], cont = false): Route => ({ id, match: match.map(parseMatcher), receivers, continue: cont });

describe('explainRoutes', () => {
  const routes = [
    r('db', ['severity=critical', 'team=db'], ['pager']),
    r('all-prod', ['env=prod'], ['slack'], true),
    r('web', ['team=~"web|api"'], ['web-hook']),
    r('catch-all', [], ['log']),
  ];

  it('names the first failing matcher with the value it saw, and agrees with route()', () => {
    const event = ev({ severity: 'warning', labels: { env: 'prod', team: 'web' } });
    const out = explainRoutes(routes, event);
    assert.deepEqual(
      out.map((x) => [x.id, x.outcome]),
      [
        ['db', 'failed'],
        ['all-prod', 'matched'],
        ['web', 'matched'],
        ['catch-all', 'not_reached'],
      ],
    );
    assert.deepEqual(out[0]?.failed, { matcher: 'severity="critical"', actual: 'warning' });
    assert.equal(out[3]?.would_match, true);
    assert.deepEqual(
      out.filter((x) => x.outcome === 'matched').map((x) => x.index),
      route(routes, event).matchedRoutes,
    );
  });

  it('reports the value the shared evaluation read: a label never sent, even one named like an Object member, as ""', () => {
    const out = explainRoutes([r('proto', ['constructor="x"'], ['a']), r('field', ['labels.severity=warning'], ['b'])], ev({ severity: 'warning' }));
    assert.deepEqual(out[0]?.failed, { matcher: 'constructor="x"', actual: '' });
    assert.deepEqual(out[1]?.failed, { matcher: 'labels.severity="warning"', actual: '' });
  });

  it('reports an absent label as the empty string', () => {
    const out = explainRoutes(routes, ev({ severity: 'critical' }));
    assert.deepEqual(out[0]?.failed, { matcher: 'team="db"', actual: '' });
    assert.deepEqual(out[1]?.failed, { matcher: 'env="prod"', actual: '' });
  });

  it('falls back to routes[i] for unnamed routes', () => {
    const out = explainRoutes([{ match: [], receivers: ['x'], continue: false }], ev());
    assert.equal(out[0]?.id, 'routes[0]');
    assert.equal(out[0]?.outcome, 'matched');
  });
});
