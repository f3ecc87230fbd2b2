import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DatadogPayloadError, datadogTime, normalizeDatadog, prioritySeverity, tagLabels } from './normalize.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

describe('datadog normalize', () => {
  it('maps the recommended template: title, text, firing with severity from $ALERT_PRIORITY, key from $AGGREG_KEY, tags and scope as labels, links', () => {
    const payload = fixture('template.triggered');
    const { event: e, id } = normalizeDatadog(payload);
    assert.equal(id, '1234567');
    assert.equal(e.title, '[Triggered] [Memory Alert]');
    assert.equal(e.text, 'Sending to the webhook');
    assert.deepEqual([e.status, e.severity, e.type, e.action], ['firing', 'critical', 'query_alert_monitor', 'triggered']);
    assert.equal(e.key, 'datadog:9bd4ac313a4d1e8fae2482df7b77628');
    assert.deepEqual(e.labels, {
      monitor: 'true',
      name: 'myService',
      role: 'computing-node',
      'availability-zone': 'us-east-1a',
      event_type: 'query_alert_monitor',
      transition: 'Triggered',
      priority: 'P1',
      monitor_id: '1234',
    });
    assert.equal(e.url, 'https://app.datadoghq.com/event/jump_to?event_id=123456');
    assert.deepEqual(e.links, [
      { title: 'monitor', url: 'https://app.datadoghq.com/monitors/1234' },
      { title: 'snapshot', url: 'https://p.datadoghq.com/path-to-snapshot' },
    ]);
    assert.equal(e.occurred_at, '2014-07-29T19:37:52.000Z');
    assert.deepEqual(e.data, payload);
  });

  it("maps a captured delivery of Datadog's default payload (plus transition, aggregate, alert_priority): %%% markers dropped, same rules", () => {
    const { event: e, id } = normalizeDatadog(fixture('captured.triggered'));
    assert.equal(id, '8306082202796025694');
    assert.equal(e.title, '[Triggered] High tracking');
    assert.match(e.text ?? '', /^We get high datadog\.event\.tracking\.intakev2\.audit\.bytes\nNotify: @webhook-inres\n/);
    assert.match(e.text ?? '', /\[\[Edit Monitor\]\(https:\/\/app\.datadoghq\.com\/monitors\/221164084\/edit\?link_source=monitor_notif\)\]$/);
    assert.deepEqual([e.status, e.severity, e.key], ['firing', 'critical', 'datadog:06ade3da0286048d242ea8e46f521c93']);
    assert.deepEqual(e.labels, { event_type: 'query_alert_monitor', transition: 'Triggered', priority: 'P1' });
    assert.equal(e.url, undefined);
    assert.equal(e.occurred_at, '2025-10-01T18:37:04.000Z');
  });

  it('maps every $ALERT_TRANSITION: Triggered by priority, Warn and No Data warn, Recovered resolves, others inform; all on one key', () => {
    const payload = fixture('template.triggered');
    const cases: [string, string | undefined, string, string][] = [
      ['Triggered', 'P1', 'firing', 'critical'],
      ['Re-Triggered', 'P2', 'firing', 'error'],
      ['Triggered', 'P3', 'firing', 'warning'],
      ['Triggered', 'P4', 'firing', 'error'],
      ['Triggered', 'P5', 'firing', 'error'],
      ['Triggered', undefined, 'firing', 'error'],
      ['Warn', 'P1', 'firing', 'warning'],
      ['Re-Warn', 'P1', 'firing', 'warning'],
      ['No Data', 'P1', 'firing', 'warning'],
      ['Re-No Data', 'P1', 'firing', 'warning'],
      ['Recovered', 'P1', 'resolved', 'critical'],
      ['Renotify', 'P1', 'info', 'error'],
    ];
    for (const [transition, priority, status, severity] of cases) {
      const { event: e } = normalizeDatadog({ ...payload, alert_transition: transition, alert_priority: priority ?? '' });
      assert.deepEqual([e.status, e.severity, e.key], [status, severity, 'datadog:9bd4ac313a4d1e8fae2482df7b77628'], `${transition} ${priority}`);
    }
    const { event: noData } = normalizeDatadog({ ...payload, alert_transition: 'No Data' });
    assert.equal(noData.action, 'no_data');
    // Renotify (and any unknown transition) takes its severity from $ALERT_TYPE.
    assert.equal(normalizeDatadog({ ...payload, alert_transition: 'Renotify', alert_type: 'success' }).event.severity, 'info');
  });

  it('reads the transition from the $EVENT_TITLE prefix when the template sends none, and keys on $ALERT_ID without an aggregation key', () => {
    const base = { id: '1', title: '[P2] [Recovered on {host:web-1}] Disk full', alert_id: '42' };
    const { event: e } = normalizeDatadog(base);
    assert.deepEqual([e.status, e.action, e.key, e.labels?.transition], ['resolved', 'recovered', 'datadog:42', 'Recovered']);
    assert.deepEqual(
      ['[Triggered] x', '[Re-Triggered on {a:b}] x', '[Warn] x', '[No Data] x', '[Renotify] x', 'x'].map((title) => normalizeDatadog({ title }).event.status),
      ['firing', 'firing', 'firing', 'firing', 'info', 'info'],
    );
    assert.equal(normalizeDatadog({ title: 'plain event' }).event.key, undefined);
  });

  it('treats empty and unfilled variables as absent, and takes the host from $HOSTNAME unless a host tag set it', () => {
    const { event: e, id } = normalizeDatadog({
      id: '$ID',
      title: 'Disk full',
      text: '',
      body: '$EVENT_MSG',
      alert_status: 'disk.used over host:web-1 was > 90',
      hostname: 'web-1',
      aggreg_key: '$AGGREG_KEY',
      tags: '$TAGS',
      link: '',
    });
    assert.equal(id, undefined);
    assert.equal(e.text, 'disk.used over host:web-1 was > 90');
    assert.equal(e.key, undefined);
    assert.deepEqual(e.labels, { host: 'web-1' });
    assert.deepEqual(e.links, []);
    assert.equal(normalizeDatadog({ title: 't', hostname: 'web-1', tags: 'host:web-2' }).event.labels?.host, 'web-2');
  });

  it('refuses payloads it cannot map, saying what to fix', () => {
    assert.throws(() => normalizeDatadog([1]), DatadogPayloadError);
    assert.throws(() => normalizeDatadog({ body: 'no title here' }), /no "title".*docs\/sources\/datadog\.md/);
    assert.throws(() => normalizeDatadog({ title: '$EVENT_TITLE' }), /no "title"/);
  });

  it('splits tags, reads times and priorities', () => {
    assert.deepEqual(tagLabels('a:b,c, url:http://x:1/y ,, env : prod'), { a: 'b', c: 'true', url: 'http://x:1/y', env: 'prod' });
    assert.deepEqual(tagLabels(['team:core', 'monitor']), { team: 'core', monitor: 'true' });
    assert.deepEqual(tagLabels(undefined), {});
    assert.equal(datadogTime('1406662672000'), '2014-07-29T19:37:52.000Z');
    assert.equal(datadogTime(1406662672), '2014-07-29T19:37:52.000Z');
    assert.equal(datadogTime('2026-03-01T12:00:00+01:00'), '2026-03-01T11:00:00.000Z');
    assert.equal(datadogTime('soon'), undefined);
    assert.equal(datadogTime('$DATE'), undefined);
    assert.deepEqual(['P1', 'p2', 'P3', 'P4', undefined].map(prioritySeverity), ['critical', 'error', 'warning', 'error', 'error']);
  });
});
