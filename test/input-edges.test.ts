import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { JSON_MAX_DEPTH } from '@herald/sdk';
import { connectAsync } from 'mqtt';
import { eventually, startHerald, type TestHerald } from './helpers/harness.js';

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

/** Mosquitto on 127.0.0.1:1883, or a loud skip (a failure when CI=true). */
async function needMosquitto(t: TestContext): Promise<boolean> {
  const up = await new Promise<boolean>((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port: 1883, timeout: 1000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
  if (up) return true;
  if (process.env.CI === 'true') assert.fail('Mosquitto is not reachable on 127.0.0.1:1883 (CI=true: it must run)');
  t.skip('Mosquitto not reachable on 127.0.0.1:1883');
  return false;
}

describe('the bus path (MQTT, real Mosquitto)', { timeout: 30_000 }, () => {
  it('rejects a 10k-deep message and a reused message id with another body, counts both and keeps consuming', async (t) => {
    if (!(await needMosquitto(t))) return;
    const id = randomUUID().slice(0, 8);
    const prefix = `herald-test/${id}`;
    const clientId = `herald-edges-${id}`;
    const publisher = await connectAsync('mqtt://127.0.0.1:1883', { protocolVersion: 5, clientId: `${clientId}-pub`, reconnectPeriod: 0 });
    t.after(() => publisher.endAsync());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
sources:
  - {name: bus, type: mqtt, url: "mqtt://127.0.0.1:1883", topics: ["${prefix}/#"], client_id: ${clientId}, id_property: message-id, max_message_size: 256KiB}
receivers: [{name: console, type: log}]
routes: [{receivers: [console]}]
`,
    );
    // Drop the persistent session Herald left on the broker (registered after Herald's stop, so it runs after it).
    t.after(async () => {
      const c = await connectAsync('mqtt://127.0.0.1:1883', {
        protocolVersion: 5,
        clientId,
        clean: true,
        reconnectPeriod: 0,
        properties: { sessionExpiryInterval: 0 },
      });
      await c.endAsync();
    });
    const publish = (body: string, messageId?: string) =>
      publisher.publishAsync(`${prefix}/events`, body, { qos: 1, properties: messageId ? { userProperties: { 'message-id': messageId } } : undefined });
    const titles = async () =>
      ((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { title: string }[]).map((e) => e.title).sort();

    await publish(deepEvent);
    await publish(JSON.stringify({ title: 'first' }), 'm-1');
    await publish(JSON.stringify({ title: 'first, changed' }), 'm-1');
    await publish(JSON.stringify({ title: 'after' }));
    await eventually(async () => (await titles()).length === 2, 10_000, 'the two good messages stored');
    await eventually(
      async () => /reason="idempotency_conflict"\} 1/.test((await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body),
      5000,
      'conflict counted',
    );
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="bus",reason="invalid_payload"\} 1/);
    assert.ok(
      h.logLines.some((l) => /message body nests arrays and objects deeper than 64 levels/.test(l)),
      'the depth refusal is logged',
    );
    assert.ok(!h.logLines.some((l) => /call stack/i.test(l)));
    assert.deepEqual(await titles(), ['after', 'first']);
  });
});
