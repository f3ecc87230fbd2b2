import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { groupEvent, type Incident, incidentSignal, type Policy } from './incidents.js';

const incident = (key: string, o: Partial<Incident> = {}): Incident => ({
  id: `id-${key}`,
  route: 'ops',
  key,
  groupKey: '{service="api"}',
  status: 'firing',
  title: `${key} failing`,
  severity: null,
  labels: { service: 'api', host: key },
  timesSeen: 1,
  firstSeen: 0,
  lastSeen: 0,
  lastEventId: `ev-${key}`,
  resolvedAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
  notified: null,
  repeatAt: null,
  endsAt: null,
  ...o,
});

describe('groupEvent', () => {
  it('carries the highest severity of its firing members; a member without one counts as error', () => {
    assert.equal(groupEvent('ops', 'g', [incident('a', { severity: 'warning' }), incident('b', { severity: 'critical' })]).severity, 'critical');
    assert.equal(groupEvent('ops', 'g', [incident('a', { severity: 'warning' }), incident('b')]).severity, 'error');
    assert.equal(groupEvent('ops', 'g', [incident('a', { severity: 'info' }), incident('b', { severity: 'warning' })]).severity, 'warning');
  });

  it('resolved members do not raise it; a group with none firing has no severity', () => {
    const g = groupEvent('ops', 'g', [incident('a', { severity: 'warning' }), incident('b', { severity: 'critical', status: 'resolved' })]);
    assert.equal(g.severity, 'warning');
    assert.equal(g.title, '[FIRING:1, RESOLVED:1] service=api');
    const done = groupEvent('ops', 'g', [incident('a', { status: 'resolved', severity: 'critical' })]);
    assert.equal(done.status, 'resolved');
    assert.equal(done.severity, undefined);
  });

  it('is a Herald group event under the group key (templates leave its title alone)', () => {
    const g = groupEvent('ops', '{service="api"}', [incident('a'), incident('b')]);
    assert.deepEqual([g.source, g.type, g.key], ['herald', 'group', 'group:ops:{service="api"}']);
  });
});

describe('incidentSignal', () => {
  const policy: Policy = { groupWaitMs: 0, groupIntervalMs: 60_000, repeatIntervalMs: 600_000, sendResolved: true };
  const event = { id: 'e1', title: 'x', status: 'firing' as const, key: 'k', labels: {}, received_at: '2026-12-04T12:00:00.000Z' };
  it('takes the event severity for the incident, and none when the event has none', () => {
    assert.equal(incidentSignal({ ...event, severity: 'critical' }, 'ops', policy)?.severity, 'critical');
    assert.equal(incidentSignal(event, 'ops', policy)?.severity, undefined);
  });
});
