import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { normalizeSentry, sentryTime } from './normalize.js';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

describe('sentry normalize', () => {
  it('maps issue created/unresolved to firing and resolved/archived/ignored to resolved on key sentry:issue:<id>; assigned informs', () => {
    const payload = fixture('issue.created');
    const [created] = normalizeSentry('issue', payload);
    assert.equal(created?.title, '[front-end] FRONT-END-9 ReferenceError: blooopy is not defined (created)');
    assert.deepEqual(
      [created?.status, created?.severity, created?.key, created?.type, created?.action],
      ['firing', 'error', 'sentry:issue:1170820242', 'issue', 'created'],
    );
    assert.equal(created?.text, '?(runner)\nseen 1 time by 1 user');
    assert.deepEqual(created?.labels, {
      resource: 'issue',
      project: 'front-end',
      level: 'error',
      short_id: 'FRONT-END-9',
      platform: 'javascript',
      issue_status: 'unresolved',
      substatus: 'escalating',
    });
    assert.equal((created?.data as { count: string } | undefined)?.count, '1');
    assert.equal(created?.occurred_at, '2019-08-19T20:58:37.391Z');

    const expected: Record<string, string> = { unresolved: 'firing', resolved: 'resolved', archived: 'resolved', ignored: 'resolved', assigned: 'info' };
    for (const [action, status] of Object.entries(expected)) {
      const [e] = normalizeSentry('issue', { ...payload, action });
      assert.deepEqual([e?.status, e?.key], [status, 'sentry:issue:1170820242'], action);
    }
    const assigned = structuredClone(payload);
    assigned.action = 'assigned';
    assigned.data.issue.assignedTo = { type: 'user', id: '1', name: 'Jane Doe', email: 'jane@example.com' };
    assert.match(normalizeSentry('issue', assigned)[0]?.title ?? '', /\(assigned to Jane Doe\)$/);
  });

  it('maps a triggered issue alert (event_alert) to a firing event linking the issue and the event, keyed on the issue', () => {
    const [e] = normalizeSentry('event_alert', fixture('event_alert.triggered'));
    assert.equal(e?.title, '[front-end] ReferenceError: heck is not defined (alert: Very Important Alert Rule!)');
    assert.deepEqual([e?.status, e?.severity, e?.key], ['firing', 'error', 'sentry:issue:1117540176']);
    assert.equal(e?.url, 'https://sentry.io/organizations/test-org/issues/1117540176/');
    assert.deepEqual(e?.links, [
      { title: 'issue', url: 'https://sentry.io/organizations/test-org/issues/1117540176/' },
      { title: 'event', url: 'https://sentry.io/organizations/test-org/issues/1117540176/events/e4874d664c3540c1a32eab185f12c5ab/' },
    ]);
    assert.equal(e?.labels?.rule, 'Very Important Alert Rule!');
    assert.equal(e?.labels?.handled, 'no');
    assert.equal((e?.data as { issue_url: string } | undefined)?.issue_url, 'https://sentry.io/api/0/issues/1117540176/');
    assert.equal(e?.occurred_at, '2019-08-19T21:06:17.677Z');

    const counted = fixture('event_alert.triggered');
    counted.data.event.times_seen = 42;
    const [withCount] = normalizeSentry('event_alert', counted);
    assert.equal(withCount?.labels?.times_seen, '42');
    assert.match(withCount?.text ?? '', /seen 42 times/);
  });

  it('maps metric alerts: critical and warning fire with that severity, resolved resolves, all on the rule key', () => {
    const payload = fixture('metric_alert.resolved');
    const [resolved] = normalizeSentry('metric_alert', payload);
    assert.deepEqual(
      [resolved?.title, resolved?.status, resolved?.key, resolved?.url],
      ['Resolved: Too many errors', 'resolved', 'sentry:metric_alert:7', 'https://sentry.io/organizations/baz/alerts/1/'],
    );
    assert.equal(resolved?.text, '1000 events in the last 10 minutes\nFilter: level:error');
    assert.deepEqual(resolved?.labels, { resource: 'metric_alert', rule: 'Too many errors', project: 'bar' });
    const [critical] = normalizeSentry('metric_alert', { ...payload, action: 'critical' });
    assert.deepEqual([critical?.status, critical?.severity, critical?.key], ['firing', 'critical', 'sentry:metric_alert:7']);
    const [warning] = normalizeSentry('metric_alert', { ...payload, action: 'warning' });
    assert.deepEqual([warning?.status, warning?.severity], ['firing', 'warning']);
  });

  it('maps an error to an info event and unknown resources to a generic info event', () => {
    const [err] = normalizeSentry('error', fixture('error.created'));
    assert.deepEqual([err?.title, err?.status, err?.key], ['[front-end] ReferenceError: blooopy is not defined', 'info', 'sentry:issue:1170820242']);
    const [inst] = normalizeSentry('installation', { action: 'created', data: { installation: { uuid: 'abc' } } });
    assert.deepEqual([inst?.title, inst?.status, inst?.type], ['Sentry installation created: abc', 'info', 'installation']);
  });

  it('reads ISO strings and Unix seconds as times', () => {
    assert.equal(sentryTime(1566248777.677), '2019-08-19T21:06:17.677Z');
    assert.equal(sentryTime('2020-09-13T12:26:40.000000Z'), '2020-09-13T12:26:40.000Z');
    assert.equal(sentryTime('nope'), undefined);
  });
});
