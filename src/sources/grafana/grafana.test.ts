import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventually, FakeClock, startHerald, startSink } from '../../../test/helpers/harness.js';

const body = readFileSync(new URL('./fixtures/firing.json', import.meta.url), 'utf8');
const TOKEN = 'grafana-contact-point-token';
const SECRET = 'grafana-hmac-secret-0123456789';
const hmac = (data: string, secret = SECRET) => createHmac('sha256', secret).update(data).digest('hex');

async function setup(t: Parameters<typeof startHerald>[0]) {
  const clock = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - {name: g-token, type: grafana, token: ${TOKEN}}
  - {name: g-hmac, type: grafana, hmac_secret: ${SECRET}}
  - {name: g-ts, type: grafana, hmac_secret: ${SECRET}, hmac_timestamp_header: X-Grafana-Alerting-Signature-Timestamp}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
    { clock },
  );
  const post = (name: string, b: string, headers: Record<string, string>) =>
    h.herald.server.inject({ method: 'POST', url: `/hooks/${name}`, payload: b, headers: { 'content-type': 'application/json', ...headers } });
  const stored = async () => (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { key: string; source: string }[];
  const now = () => String(Math.floor(clock.now() / 1000));
  return { clock, sink, h, post, stored, now };
}

describe('grafana source', () => {
  it('accepts the Authorization bearer token, the body HMAC and the timestamped HMAC, one event per alert, and delivers them', async (t) => {
    const { sink, post, stored, now } = await setup(t);
    const r1 = await post('g-token', body, { authorization: `Bearer ${TOKEN}` });
    assert.equal(r1.statusCode, 202, r1.body);
    assert.equal(r1.json().ids.length, 2);
    const r2 = await post('g-hmac', body, { 'x-grafana-alerting-signature': hmac(body) });
    assert.equal(r2.statusCode, 202, r2.body);
    const r3 = await post('g-hmac', body, { 'x-grafana-alert-signature': hmac(body) });
    assert.equal(r3.statusCode, 202, 'the sender-default header name is accepted too');
    const ts = now();
    const r4 = await post('g-ts', body, { 'x-grafana-alerting-signature': hmac(`${ts}:${body}`), 'x-grafana-alerting-signature-timestamp': ts });
    assert.equal(r4.statusCode, 202, r4.body);
    await eventually(() => sink.requests.length === 8, 5000, 'delivered');
    const keys = (await stored()).map((e) => e.key);
    assert.equal(keys.length, 8);
    assert.deepEqual([...new Set(keys)].sort(), ['grafana:bc97ff14869b13e3', 'grafana:c6eadffa33fcdf37']);
  });

  it('refuses missing, wrong, tampered, wrong-length and stale credentials with 401 and stores nothing', async (t) => {
    const { h, post, stored, now } = await setup(t);
    const tampered = body.replace('us-1', 'us-2');
    const ts = now();
    const old = String(Number(ts) - 301);
    const cases: [string, string, Record<string, string>, RegExp][] = [
      ['g-token', body, {}, /missing Authorization/],
      ['g-token', body, { authorization: 'Bearer grafana-contact-point-tokem' }, /does not match/],
      ['g-token', body, { authorization: 'Bearer x' }, /does not match/],
      ['g-hmac', body, {}, /missing X-Grafana-Alerting-Signature/],
      ['g-hmac', body, { 'x-grafana-alerting-signature': hmac(body, 'wrong-secret-0123456789') }, /does not match/],
      ['g-hmac', tampered, { 'x-grafana-alerting-signature': hmac(body) }, /does not match/],
      ['g-hmac', body, { 'x-grafana-alerting-signature': 'deadbeef' }, /does not match/],
      ['g-ts', body, { 'x-grafana-alerting-signature': hmac(body) }, /missing X-Grafana-Alerting-Signature-Timestamp/],
      ['g-ts', body, { 'x-grafana-alerting-signature': hmac(body), 'x-grafana-alerting-signature-timestamp': ts }, /does not match/],
      ['g-ts', body, { 'x-grafana-alerting-signature': hmac(`${old}:${body}`), 'x-grafana-alerting-signature-timestamp': old }, /replay/],
      [
        'g-ts',
        body,
        { 'x-grafana-alerting-signature': hmac(`${ts}:${body}`), 'x-grafana-alerting-signature-timestamp': String(Number(ts) + 1) },
        /does not match/,
      ],
    ];
    for (const [name, b, headers, detail] of cases) {
      const res = await post(name, b, headers);
      assert.equal(res.statusCode, 401, `${name} ${JSON.stringify(headers)}: ${res.body}`);
      assert.equal(res.json().error, 'invalid_signature');
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, 0);
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="g-ts",reason="invalid_signature"\} 4/);
  });

  it('answers malformed JSON and non-Grafana payloads with 400 and stores nothing', async (t) => {
    const { post, stored } = await setup(t);
    for (const [b, detail] of [
      ['{"alerts": [', /not valid JSON/],
      ['{"status": "firing"}', /"alerts" must be a list/],
      ['{"alerts": [{"status": "pending"}]}', /alerts\[0\]\.status/],
    ] as const) {
      const res = await post('g-hmac', b, { 'x-grafana-alerting-signature': hmac(b) });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error, 'invalid_payload');
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, 0);
  });
});
