import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startHerald } from './helpers/harness.js';

const TOKENS = `
auth:
  tokens:
    - {name: ingester, token: ingest-token-0123456789, scopes: [ingest]}
    - {name: reader, token: read-token-0123456789ab, scopes: [read]}
    - {name: boss, token: admin-token-0123456789a, scopes: [admin]}
`;
const BASE = 'receivers: [{name: console, type: log}]\nroutes: [{receivers: [console]}]\n';

async function rowCounts(h: Awaited<ReturnType<typeof startHerald>>) {
  const s = h.herald.storeForTests();
  return { events: await s.count('events'), deliveries: await s.count('deliveries'), keys: await s.count('idempotency_keys') };
}

describe('POST /api/v1/events: bad input is refused and nothing is stored', () => {
  const cases: { name: string; headers?: Record<string, string>; payload: string; status: number; error: string; detail: RegExp }[] = [
    { name: 'malformed JSON', payload: '{"title": ', status: 400, error: 'invalid_json', detail: /not valid JSON/ },
    { name: 'empty body', payload: '', status: 400, error: 'invalid_json', detail: /empty/ },
    { name: 'wrong type', payload: '{"title": 5}', status: 400, error: 'invalid_event', detail: /^title: must be a string/ },
    {
      name: 'unknown status',
      payload: '{"title": "x", "status": "exploding"}',
      status: 400,
      error: 'invalid_event',
      detail: /^status: must be one of: firing, resolved, info/,
    },
    { name: 'missing title', payload: '{"text": "x"}', status: 400, error: 'invalid_event', detail: /^title: is required/ },
    { name: 'unknown field', payload: '{"title": "x", "colour": 1}', status: 400, error: 'invalid_event', detail: /^colour: is not a known key/ },
    {
      name: 'one bad event in a batch',
      payload: '[{"title": "ok"}, {"title": "x", "severity": "huge"}]',
      status: 400,
      error: 'invalid_event',
      detail: /^\[1\]\.severity: must be one of/,
    },
    { name: 'empty batch', payload: '[]', status: 400, error: 'invalid_event', detail: /batch is empty/ },
    {
      name: 'batch too large',
      payload: JSON.stringify(Array.from({ length: 1001 }, () => ({ title: 'x' }))),
      status: 400,
      error: 'batch_too_large',
      detail: /at most 1000/,
    },
    { name: 'a JSON scalar', payload: '"hello"', status: 400, error: 'invalid_event', detail: /must be an object/ },
    {
      name: 'prototype pollution',
      payload: '{"title": "x", "__proto__": {"polluted": true}, "constructor": {"prototype": {}}}',
      status: 400,
      error: 'invalid_event',
      detail: /constructor: is not a known key/,
    },
    {
      name: 'wrong content type',
      headers: { 'content-type': 'text/plain' },
      payload: '{"title":"x"}',
      status: 415,
      error: 'unsupported_media_type',
      detail: /application\/json/,
    },
    {
      name: 'form content type',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'title=x',
      status: 415,
      error: 'unsupported_media_type',
      detail: /application\/json/,
    },
    { name: 'no content type', headers: { 'content-type': '' }, payload: '', status: 415, error: 'unsupported_media_type', detail: /Content-Type/ },
    {
      name: 'oversized body',
      payload: JSON.stringify({ title: 'x', text: 'y'.repeat(1024 * 1024) }),
      status: 413,
      error: 'payload_too_large',
      detail: /exceeds 1048576 bytes/,
    },
    {
      name: 'bad idempotency key',
      headers: { 'idempotency-key': 'has space' },
      payload: '{"title":"x"}',
      status: 400,
      error: 'invalid_idempotency_key',
      detail: /printable ASCII/,
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.error}`, async (t) => {
      const h = await startHerald(t, BASE);
      const headers: Record<string, string> = { 'content-type': 'application/json', ...c.headers };
      if (headers['content-type'] === '') delete headers['content-type'];
      const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', headers, payload: c.payload });
      assert.equal(res.statusCode, c.status, res.body);
      const body = res.json() as { error: string; code: string; detail: string };
      assert.equal(body.error, c.error);
      // Each of these slugs' catalogue code is its name under HERALD_ERR_API_.
      assert.equal(body.code, `HERALD_ERR_API_${c.error.toUpperCase()}`);
      assert.match(body.detail, c.detail);
      assert.deepEqual(await rowCounts(h), { events: 0, deliveries: 0, keys: 0 });
    });
  }

  it('honours a configured body limit', async (t) => {
    const h = await startHerald(t, `${BASE}server: {body_limit: 1KiB}\n`);
    const res = await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ title: 'x'.repeat(1100) }),
    });
    assert.equal(res.statusCode, 413);
    assert.match(res.json().detail, /exceeds 1024 bytes/);
    assert.equal((await rowCounts(h)).events, 0);
  });

  it('answers 503 and stores nothing when the store is unavailable', async (t) => {
    const h = await startHerald(t, BASE);
    const store = h.herald.storeForTests();
    const original = store.commitIngest.bind(store);
    const { StoreUnavailableError } = await import('../src/store/types.js');
    store.commitIngest = async () => {
      throw new StoreUnavailableError('disk gone');
    };
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    store.commitIngest = original;
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.json().error, 'store_unavailable');
    assert.equal((await rowCounts(h)).events, 0);
  });
});

describe('POST /api/v1/events: accepted input', () => {
  it('answers 202 with ids after commit, one delivery per routed receiver', async (t) => {
    const h = await startHerald(t, BASE);
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: [{ title: 'a', status: 'firing' }, { title: 'b' }] });
    assert.equal(res.statusCode, 202);
    const { ids } = res.json() as { ids: string[] };
    assert.equal(ids.length, 2);
    assert.ok((ids[0] as string) < (ids[1] as string), 'ids sort by arrival');
    assert.deepEqual(await rowCounts(h), { events: 2, deliveries: 2, keys: 0 });
    const one = await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${ids[0]}` });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().event.title, 'a');
    assert.equal(one.json().deliveries[0].receiver, 'console');
  });

  it('accepts JSON content types with parameters and +json suffixes', async (t) => {
    const h = await startHerald(t, BASE);
    for (const ct of ['application/json; charset=utf-8', 'application/JSON;charset=UTF-8', 'application/cloudevents+json']) {
      const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', headers: { 'content-type': ct }, payload: '{"title":"x"}' });
      assert.equal(res.statusCode, 202, ct);
    }
  });

  it('Idempotency-Key: same key and body → same answer, stored once; other body → 422', async (t) => {
    const h = await startHerald(t, BASE);
    const send = (payload: unknown, key = 'deploy-42') =>
      h.herald.server.inject({ method: 'POST', url: '/api/v1/events', headers: { 'idempotency-key': key }, payload: payload as object });
    const first = await send({ title: 'deployed' });
    const again = await send({ title: 'deployed' });
    assert.equal(first.statusCode, 202);
    assert.equal(again.statusCode, 202);
    assert.deepEqual(again.json(), first.json());
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(await rowCounts(h), { events: 1, deliveries: 1, keys: 1 });
    const conflict = await send({ title: 'something else' });
    assert.equal(conflict.statusCode, 422);
    assert.equal(conflict.json().error, 'idempotency_conflict');
    assert.equal((await rowCounts(h)).events, 1);
    // Concurrent duplicates inside one group commit are stored once too.
    const burst = await Promise.all(Array.from({ length: 5 }, () => send({ title: 'burst' }, 'burst-key')));
    assert.ok(burst.every((r) => r.statusCode === 202));
    assert.equal(new Set(burst.map((r) => r.body)).size, 1);
    assert.equal((await rowCounts(h)).events, 2);
  });

  it('an idempotency key older than 24 h no longer matches', async (t) => {
    const { FakeClock } = await import('./helpers/harness.js');
    const clock = new FakeClock();
    const h = await startHerald(t, BASE, { clock });
    const send = () => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', headers: { 'idempotency-key': 'k' }, payload: { title: 'x' } });
    const a = await send();
    clock.advance(24 * 3600_000 + 1);
    const b = await send();
    assert.notDeepEqual(a.json(), b.json());
    assert.equal((await rowCounts(h)).events, 2);
  });
});

describe('auth', () => {
  const routes: { method: 'GET' | 'POST'; url: string; scope: 'ingest' | 'read' | 'admin'; payload?: object }[] = [
    { method: 'POST', url: '/api/v1/events', scope: 'ingest', payload: { title: 'x' } },
    { method: 'GET', url: '/api/v1/events', scope: 'read' },
    { method: 'GET', url: '/api/v1/events/01J00000000000000000000000', scope: 'read' },
    { method: 'GET', url: '/api/v1/deliveries?state=dead', scope: 'read' },
    { method: 'POST', url: '/api/v1/deliveries/01J00000000000000000000000/replay', scope: 'admin' },
    { method: 'POST', url: '/api/v1/deliveries/replay?state=dead', scope: 'admin' },
    { method: 'POST', url: '/api/v1/routes/test', scope: 'read', payload: { title: 'x' } },
    { method: 'POST', url: '/api/v1/reload', scope: 'admin' },
    { method: 'GET', url: '/api/v1/receiver-types', scope: 'read' },
    { method: 'GET', url: '/metrics', scope: 'read' },
  ];
  const tokenFor = { ingest: 'ingest-token-0123456789', read: 'read-token-0123456789ab', admin: 'admin-token-0123456789a' };

  for (const r of routes) {
    it(`${r.method} ${r.url} needs the ${r.scope} scope`, async (t) => {
      const h = await startHerald(t, `${BASE}${TOKENS}`);
      const call = (auth?: string) =>
        h.herald.server.inject({ method: r.method, url: r.url, headers: auth ? { authorization: auth } : {}, ...(r.payload ? { payload: r.payload } : {}) });
      const none = await call();
      assert.equal(none.statusCode, 401);
      assert.equal(none.json().error, 'unauthorized');
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="herald"');
      assert.equal((await call('Bearer wrong-token-000000000000')).statusCode, 401);
      assert.equal((await call(`Basic ${tokenFor[r.scope]}`)).statusCode, 401);
      for (const [scope, token] of Object.entries(tokenFor)) {
        const res = await call(`Bearer ${token}`);
        const allowed = scope === r.scope || scope === 'admin';
        if (allowed) assert.notEqual(res.statusCode, 401, `${scope} token`);
        if (allowed) assert.notEqual(res.statusCode, 403, `${scope} token`);
        else {
          assert.equal(res.statusCode, 403, `${scope} token on ${r.url}`);
          assert.match(res.json().detail, new RegExp(`lacks the "${r.scope}" scope`));
        }
      }
      if (r.scope === 'ingest') assert.equal(await h.herald.storeForTests().count('events'), 2, 'only the ingest and admin tokens stored events');
    });
  }

  it('health endpoints and the OpenAPI document are public', async (t) => {
    const h = await startHerald(t, `${BASE}${TOKENS}`);
    for (const url of ['/healthz', '/readyz', '/api/v1/openapi.json']) {
      assert.equal((await h.herald.server.inject({ method: 'GET', url })).statusCode, 200, url);
    }
    const doc = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    // Every documented operation exists (a route renamed without its docs fails here).
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        assert.ok(h.herald.server.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/\{(\w+)\}/g, ':$1') }), `${method} ${path}`);
      }
    }
  });

  it('refuses to listen beyond loopback without tokens, and says so', async (t) => {
    await assert.rejects(startHerald(t, `${BASE}server: {listen: "0.0.0.0:0"}\n`), /refusing to listen on 0\.0\.0\.0:0 without auth tokens/);
  });
});

describe('read API', () => {
  it('filters and paginates events with a cursor', async (t) => {
    const h = await startHerald(t, BASE);
    const post = (payload: object) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });
    for (let i = 0; i < 5; i++) await post({ title: `ci ${i}`, source: 'ci', status: 'firing', key: 'build' });
    await post({ title: 'other', source: 'cron', status: 'resolved' });
    const page1 = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?source=ci&limit=3' })).json();
    assert.deepEqual(
      page1.events.map((e: { title: string }) => e.title),
      ['ci 4', 'ci 3', 'ci 2'],
    );
    const page2 = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events?source=ci&limit=3&cursor=${page1.next_cursor}` })).json();
    assert.deepEqual(
      page2.events.map((e: { title: string }) => e.title),
      ['ci 1', 'ci 0'],
    );
    assert.equal(page2.next_cursor, null);
    const exact = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?source=ci&limit=5' })).json();
    assert.equal(exact.events.length, 5);
    assert.equal(exact.next_cursor, null, 'a full last page has no next page');
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?status=resolved' })).json().events.length, 1);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?key=build' })).json().events.length, 5);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?since=2999-01-01T00:00:00Z' })).json().events.length, 0);
    const bad = await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?status=boiling' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /^status: must be one of/);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?colour=red' })).statusCode, 400);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?limit=0' })).statusCode, 400);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events/nope' })).statusCode, 404);
  });

  it('routes/test renders what each receiver would get and sends nothing', async (t) => {
    const h = await startHerald(
      t,
      'receivers:\n  - {name: console, type: log}\n  - {name: hook, type: webhook, url: "https://hooks.example.com/in/s3cr3t-path", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}\nroutes:\n  - {match: ["severity=critical"], receivers: [hook], continue: true}\n  - {receivers: [console]}\n',
    );
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/routes/test', payload: { title: 'db down', severity: 'critical' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual(body.matched_routes, [0, 1]);
    assert.deepEqual(
      body.receivers.map((r: { receiver: string }) => r.receiver),
      ['hook', 'console'],
    );
    const req = body.receivers[0].output[0].request;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '***', 'the secret webhook URL is masked');
    assert.match(req.headers['webhook-signature'], /^v1,/);
    assert.equal(JSON.parse(req.body).event.title, 'db down');
    assert.equal(body.receivers[1].output[0].kind, 'log');
    // Secrets inside request bodies are masked too.
    const pd = await startHerald(
      t,
      'receivers: [{name: pager, type: pagerduty, routing_key: R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12}]\nroutes: [{receivers: [pager]}]\n',
    );
    const pdOut = (await pd.herald.server.inject({ method: 'POST', url: '/api/v1/routes/test', payload: { title: 'x', status: 'firing' } })).body;
    assert.ok(!pdOut.includes('R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12'), 'routing key masked in the body');
    assert.match(pdOut, /routing_key\\":\\"\*\*\*/);
    assert.equal(await h.herald.storeForTests().count('events'), 0, 'a dry run stores nothing');
  });
});
