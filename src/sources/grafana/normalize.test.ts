import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { grafanaTime, normalizeGrafana } from './normalize.js';

const fixture = () => JSON.parse(readFileSync(new URL('./fixtures/firing.json', import.meta.url), 'utf8'));

describe('grafana normalize', () => {
  it('maps each alert to one firing event keyed on its fingerprint, titled by its summary, labelled by its labels', () => {
    const events = normalizeGrafana(fixture());
    assert.equal(events.length, 2);
    const [mem, cpu] = events;
    assert.deepEqual(
      [mem?.title, mem?.status, mem?.key, mem?.severity, mem?.url],
      ['This alert was triggered for zone us-1', 'firing', 'grafana:c6eadffa33fcdf37', undefined, 'https://play.grafana.org/alerting/1afz29v7z/edit'],
    );
    assert.deepEqual(mem?.labels, { alertname: 'High memory usage', team: 'blue', zone: 'us-1' });
    assert.equal(mem?.text, 'The system has high memory usage\nvalues: B=44.23943737541908, C=1');
    assert.deepEqual(
      mem?.links?.map((l) => l.title),
      ['silence', 'runbook'],
    );
    assert.equal(mem?.occurred_at, '2021-10-12T07:51:03.157Z');
    assert.equal(cpu?.key, 'grafana:bc97ff14869b13e3');
  });

  it('resolves on a resolved alert, takes a valid severity label, falls back to alertname and computes a key without fingerprint', () => {
    const p = fixture();
    p.status = 'resolved';
    p.alerts[0].status = 'resolved';
    p.alerts[0].endsAt = '2021-10-12T10:01:03Z';
    p.alerts[0].labels.severity = 'Critical';
    delete p.alerts[1].annotations.summary;
    p.alerts[1].labels.severity = 'urgent';
    delete p.alerts[1].fingerprint;
    const [mem, cpu] = normalizeGrafana(p);
    assert.deepEqual(
      [mem?.status, mem?.severity, mem?.key, mem?.occurred_at],
      ['resolved', 'critical', 'grafana:c6eadffa33fcdf37', '2021-10-12T10:01:03.000Z'],
    );
    assert.equal(cpu?.title, 'High CPU usage');
    assert.equal(cpu?.severity, undefined, 'an unknown severity label is kept as a label only');
    assert.match(cpu?.key ?? '', /^grafana:[0-9a-f]{16}$/);
    assert.equal(normalizeGrafana(p)[1]?.key, cpu?.key, 'the computed key is stable');
  });

  it('refuses a payload without alerts or with an unknown alert status', () => {
    assert.throws(() => normalizeGrafana({ status: 'firing' }), /"alerts" must be a list/);
    const p = fixture();
    p.status = 'odd';
    p.alerts[1].status = 'pending';
    assert.throws(() => normalizeGrafana(p), /alerts\[1\]\.status must be "firing" or "resolved"/);
    assert.equal(grafanaTime('0001-01-01T00:00:00Z'), undefined);
  });
});
