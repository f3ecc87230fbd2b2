import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_LIMITS, toHeraldEvent, validateEvent } from './event.js';

describe('event validation', () => {
  it('accepts a full event', () => {
    assert.deepEqual(
      validateEvent({
        title: 'Build failed',
        text: 'main #42',
        source: 'ci',
        type: 'build',
        action: 'failed',
        status: 'firing',
        severity: 'error',
        key: 'ci:main',
        labels: { repo: 'herald', 'team.name': 'core' },
        url: 'https://ci.example.com/42',
        links: [{ title: 'log', url: 'https://ci.example.com/42/log' }],
        data: { repository: { name: 'herald' }, commits: [] },
        occurred_at: '2026-01-31T12:00:00+01:00',
      }),
      [],
    );
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['missing title', { text: 'x' }, 'title', /is required/],
    ['empty title', { title: '' }, 'title', /must not be empty/],
    ['unknown status', { title: 't', status: 'burning' }, 'status', /one of: firing, resolved, info/],
    ['unknown severity', { title: 't', severity: 'meh' }, 'severity', /one of: critical, error, warning, info/],
    ['wrong type', { title: 42 }, 'title', /must be a string/],
    ['label value not a string', { title: 't', labels: { a: 1 } }, 'labels.a', /must be a string/],
    ['bad label name', { title: 't', labels: { '1x': 'y' } }, 'labels', /label name "1x" is invalid/],
    ['unknown field', { title: 't', colour: 'red' }, 'colour', /not a known key/],
    ['bad url', { title: 't', url: 'javascript:alert(1)' }, 'url', /http\(s\) URL/],
    ['bad link url', { title: 't', links: [{ url: 'ftp://x' }] }, 'links[0].url', /http\(s\) URL/],
    ['bad time', { title: 't', occurred_at: 'yesterday' }, 'occurred_at', /RFC 3339/],
    ['title too long', { title: 'x'.repeat(EVENT_LIMITS.titleLength + 1) }, 'title', /at most 1024/],
    ['too many labels', { title: 't', labels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, 'v'])) }, 'labels', /at most 64/],
    ['data too big', { title: 't', data: { blob: 'x'.repeat(EVENT_LIMITS.dataBytes) } }, 'data', /at most 262144 bytes/],
    ['not an object', 'hello', '(root)', /must be an object/],
  ];
  for (const [name, input, path, message] of bad) {
    it(`rejects ${name} naming ${path}`, () => {
      const issues = validateEvent(input);
      assert.ok(issues.length > 0, 'expected issues');
      const hit = issues.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(issues)}`);
      assert.match(hit.message, message);
    });
  }

  it('prefixes batch paths', () => {
    assert.equal(validateEvent({ title: 't', status: 'x' }, '[3]')[0]?.path, '[3].status');
  });

  it('stamps defaults and normalises time', () => {
    const e = toHeraldEvent({ title: 't', occurred_at: '2026-01-31T12:00:00+01:00' }, 'id1', Date.parse('2026-02-01T00:00:00Z'));
    assert.equal(e.status, 'info');
    assert.deepEqual(e.labels, {});
    assert.equal(e.occurred_at, '2026-01-31T11:00:00.000Z');
    assert.equal(e.received_at, '2026-02-01T00:00:00.000Z');
  });
});
