import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { JSON_MAX_DEPTH } from '@herald/sdk';
import { startHerald, type TestHerald } from './helpers/harness.js';

const SECRET = 'github-hook-secret-123';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
const pushFixture = readFileSync(new URL('../src/sources/github/fixtures/push.json', import.meta.url), 'utf8');

const CONFIG = `
sources:
  - {name: gen, type: generic, allow_unauthenticated: true}
  - {name: gh, type: github, secret: ${SECRET}}
receivers: [{name: console, type: log}]
routes: [{receivers: [console]}]
`;

/** `levels` nested objects: {"a":{"a":…1…}}. */
const nestedObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
const DEEP = 10_000;
const deepArray = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
const deepEvent = `{"title":"deep","data":${nestedObject(DEEP)}}`;

async function rowCounts(h: TestHerald) {
  const s = h.herald.storeForTests();
  return { events: await s.count('events'), deliveries: await s.count('deliveries'), keys: await s.count('idempotency_keys') };
}

describe('deeply nested JSON is refused with 400 and the documented limit, on every path', () => {
  it('answers 400 (never 500, never a stack overflow message) and stores nothing', async (t) => {
    const h = await startHerald(t, CONFIG);
    const cases: { url: string; payload: string; headers?: Record<string, string>; error: string }[] = [
      { url: '/api/v1/events', payload: deepEvent, error: 'invalid_json' },
      { url: '/api/v1/events', payload: deepArray, error: 'invalid_json' },
      { url: '/api/v2/alerts', payload: deepArray, error: 'invalid_json' },
      { url: '/api/v1/silences', payload: `{"matchers":${deepArray}}`, error: 'invalid_json' },
      { url: '/api/v1/routes/test', payload: deepEvent, error: 'invalid_json' },
      { url: '/hooks/gen', payload: deepEvent, error: 'invalid_payload' },
      { url: '/hooks/gen', payload: deepArray, error: 'invalid_payload' },
      // A valid signature: the body gets past verification to the JSON parser.
      {
        url: '/hooks/gh',
        payload: deepEvent,
        headers: { 'x-github-event': 'push', 'x-github-delivery': 'deep-1', 'x-hub-signature-256': sign(deepEvent) },
        error: 'invalid_payload',
      },
    ];
    for (const c of cases) {
      const res = await h.herald.server.inject({
        method: 'POST',
        url: c.url,
        payload: c.payload,
        headers: { 'content-type': 'application/json', ...c.headers },
      });
      assert.equal(res.statusCode, 400, `${c.url}: ${res.body}`);
      assert.equal(res.json().error, c.error, c.url);
      assert.match(res.json().detail, new RegExp(`^request body nests arrays and objects deeper than ${JSON_MAX_DEPTH} levels`), c.url);
      assert.doesNotMatch(res.body, /call stack/i, c.url);
    }
    assert.deepEqual(await rowCounts(h), { events: 0, deliveries: 0, keys: 0 });
    // Herald keeps serving.
    const ok = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'after' } });
    assert.equal(ok.statusCode, 202, ok.body);
  });

  it(`accepts nesting up to exactly ${JSON_MAX_DEPTH} levels and stores it whole`, async (t) => {
    const h = await startHerald(t, CONFIG);
    // The event object is level 1; its data adds the other 63.
    const atLimit = `{"title":"at limit","data":${nestedObject(JSON_MAX_DEPTH - 1)}}`;
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: atLimit, headers: { 'content-type': 'application/json' } });
    assert.equal(res.statusCode, 202, res.body);
    const stored = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${res.json().ids[0]}` })).json();
    assert.deepEqual(stored.event.data, JSON.parse(nestedObject(JSON_MAX_DEPTH - 1)));
    const over = `{"title":"over","data":${nestedObject(JSON_MAX_DEPTH)}}`;
    const refused = await h.herald.server.inject({ method: 'POST', url: '/hooks/gen', payload: over, headers: { 'content-type': 'application/json' } });
    assert.equal(refused.statusCode, 400, refused.body);
    assert.match(refused.json().detail, /level 65 opens at character/);
  });
});

describe('a sender delivery id reused with a different body', () => {
  it('answers 422 idempotency_conflict with a reason and stores nothing; the same body is still a replay', async (t) => {
    const h = await startHerald(t, CONFIG);
    const post = (body: string, delivery: string) =>
      h.herald.server.inject({
        method: 'POST',
        url: '/hooks/gh',
        payload: body,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': sign(body) },
      });
    const first = await post(pushFixture, 'dup-1');
    assert.equal(first.statusCode, 202, first.body);
    const before = await rowCounts(h);

    const other = pushFixture.replace('Update README.md', 'Rewrite README.md');
    assert.notEqual(other, pushFixture);
    const conflict = await post(other, 'dup-1');
    assert.equal(conflict.statusCode, 422, conflict.body);
    assert.equal(conflict.json().error, 'idempotency_conflict');
    assert.match(conflict.json().detail, /delivery id was already used with a different body in the last 24 hours; nothing was stored/);
    assert.deepEqual(await rowCounts(h), before, 'nothing stored by the conflicting delivery');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="gh",reason="idempotency_conflict"\} 1/);

    const replay = await post(pushFixture, 'dup-1');
    assert.equal(replay.statusCode, 202);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.deepEqual(replay.json().ids, first.json().ids);
    // A new delivery id with the other body is a new delivery.
    const fresh = await post(other, 'dup-2');
    assert.equal(fresh.statusCode, 202, fresh.body);
    assert.equal((await rowCounts(h)).events, before.events + 1);
  });
});
