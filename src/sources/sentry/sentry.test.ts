import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventually, FakeClock, startHerald, startSink } from '../../../test/helpers/harness.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const SECRET = 'sentry-client-secret-0123456789abcdef';
const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

async function setup(t: Parameters<typeof startHerald>[0]) {
  const clock = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - {name: sentry, type: sentry, client_secret: ${SECRET}}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
    { clock },
  );
  const nowSeconds = () => String(Math.floor(clock.now() / 1000));
  const signed = (body: string, resource = 'issue', requestId = 'req-1') => ({
    'request-id': requestId,
    'sentry-hook-resource': resource,
    'sentry-hook-timestamp': nowSeconds(),
    'sentry-hook-signature': sign(body),
  });
  const post = (body: string, headers: Record<string, string>) =>
    h.herald.server.inject({ method: 'POST', url: '/hooks/sentry', payload: body, headers: { 'content-type': 'application/json', ...headers } });
  const stored = async () => (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { key: string; status: string }[];
  return { clock, sink, h, post, signed, stored, nowSeconds };
}

describe('sentry source', () => {
  it('accepts a correctly signed issue webhook and delivers it; a re-sent Request-ID is stored once', async (t) => {
    const { sink, post, signed, stored } = await setup(t);
    const body = fixture('issue.created');
    const first = await post(body, signed(body, 'issue', 'f3a2c1d0e9b84c7a'));
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(body, signed(body, 'issue', 'f3a2c1d0e9b84c7a'));
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.json().ids, first.json().ids);
    await eventually(() => sink.requests.length === 1, 5000, 'delivered');
    const event = JSON.parse(sink.requests[0]?.body ?? '{}').event;
    assert.deepEqual([event.key, event.status, event.source], ['sentry:issue:1170820242', 'firing', 'sentry']);

    const alert = fixture('event_alert.triggered');
    assert.equal((await post(alert, signed(alert, 'event_alert', 'req-2'))).statusCode, 202);
    const metric = fixture('metric_alert.resolved');
    assert.equal((await post(metric, signed(metric, 'metric_alert', 'req-3'))).statusCode, 202);
    const events = await stored();
    assert.equal(events.length, 3);
    assert.deepEqual(events.map((e) => e.key).sort(), ['sentry:issue:1117540176', 'sentry:issue:1170820242', 'sentry:metric_alert:7']);
  });

  it('refuses missing, wrong-secret, tampered, wrong-length and stale signatures with 401 and stores nothing', async (t) => {
    const { h, post, signed, stored, clock } = await setup(t);
    const body = fixture('issue.created');
    const tampered = body.replace('blooopy', 'harmless');
    const good = signed(body);
    const refused: [string, Record<string, string>, RegExp][] = [
      [body, { ...good, 'sentry-hook-signature': '' }, /missing Sentry-Hook-Signature/],
      [body, { ...good, 'sentry-hook-signature': sign(body, 'another-secret') }, /does not match/],
      [tampered, good, /does not match/],
      [body, { ...good, 'sentry-hook-signature': 'abc123' }, /does not match/],
      [body, { ...good, 'sentry-hook-signature': `${sign(body)}00` }, /does not match/],
      [body, { ...good, 'sentry-hook-timestamp': '' }, /missing Sentry-Hook-Timestamp/],
      [body, { ...good, 'sentry-hook-timestamp': '2026-03-01T12:00:00Z' }, /Unix seconds/],
      [body, { ...good, 'sentry-hook-timestamp': String(Math.floor(clock.now() / 1000) - 301) }, /replay/],
      [body, { ...good, 'sentry-hook-timestamp': String(Math.floor(clock.now() / 1000) + 3600) }, /replay/],
    ];
    for (const [b, headers, detail] of refused) {
      const res = await post(b, headers);
      assert.equal(res.statusCode, 401, `${JSON.stringify(headers)}: ${res.body}`);
      assert.equal(res.json().error, 'invalid_signature');
      assert.match(res.json().detail, detail);
    }
    // A captured request replayed after the window is refused even though its signature is right.
    clock.advance(299_000);
    assert.equal((await post(body, good)).statusCode, 202, 'inside the window');
    clock.advance(2_000);
    const late = await post(body, { ...good, 'request-id': 'req-other' });
    assert.equal(late.statusCode, 401);
    assert.match(late.json().detail, /replay/);
    assert.equal((await stored()).length, 1);
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="sentry",reason="invalid_signature"\} 10/);
  });

  it('answers malformed JSON and a missing Sentry-Hook-Resource with 400 and stores nothing', async (t) => {
    const { post, signed, stored } = await setup(t);
    const bad = '{"action": "created", "data": ';
    const r1 = await post(bad, signed(bad));
    assert.equal(r1.statusCode, 400);
    assert.equal(r1.json().error, 'invalid_payload');
    assert.match(r1.json().detail, /not valid JSON/);
    const body = fixture('issue.created');
    const r2 = await post(body, { ...signed(body), 'sentry-hook-resource': '' });
    assert.equal(r2.statusCode, 400);
    assert.match(r2.json().detail, /missing Sentry-Hook-Resource/);
    const arr = '[]';
    const r3 = await post(arr, signed(arr));
    assert.equal(r3.statusCode, 400);
    assert.match(r3.json().detail, /JSON object/);
    assert.equal((await stored()).length, 0);
  });
});
