import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { signStandardWebhook, standardWebhookKey } from '@herald/sdk';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';

const TOKEN = 'generic-token-0123456789';
const WHSEC = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

async function setup(t: Parameters<typeof startHerald>[0]) {
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
server: {body_limit: 64KiB}
sources:
  - {name: plain, type: generic, token: ${TOKEN}}
  - name: mapped
    type: generic
    token: ${TOKEN}
    token_header: X-Token
    max_body: 2KiB
    mapping:
      each: alerts
      filter: "{% if item.state != 'ignored' %}true{% endif %}"
      title: "{{ item.name }} on {{ item.host }}"
      status: "{% if item.state == 'ok' %}resolved{% else %}firing{% endif %}"
      key: "{{ item.name }}:{{ item.host }}"
      severity: "{{ item.level | default: 'warning' }}"
      labels: {host: "{{ item.host }}", team: "{{ payload.team }}"}
  - {name: signed, type: generic, standard_webhooks: {secret: "${WHSEC}"}}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  const post = (name: string, body: string, headers: Record<string, string> = {}) =>
    h.herald.server.inject({ method: 'POST', url: `/hooks/${name}`, payload: body, headers: { 'content-type': 'application/json', ...headers } });
  return { sink, h, post };
}

describe('generic source', () => {
  it('takes Herald events with a token and refuses missing or wrong tokens with 401, storing nothing', async (t) => {
    const { sink, h, post } = await setup(t);
    const ok = await post('plain', JSON.stringify({ title: 'disk full', status: 'firing', key: 'disk' }), { authorization: `Bearer ${TOKEN}` });
    assert.equal(ok.statusCode, 202);
    assert.equal(ok.json().ids.length, 1);
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${TOKEN}x` }] as Record<string, string>[]) {
      const res = await post('plain', JSON.stringify({ title: 'x' }), headers);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error, 'invalid_signature');
    }
    await eventually(() => sink.requests.length === 1, 5000, 'delivered');
    const events = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    assert.equal(events.length, 1, 'refused requests stored nothing');
    assert.equal(events[0].source, 'plain');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="plain",reason="invalid_signature"\} 3/);
  });

  it('maps any JSON with a declarative mapping: one event per list item, filtered', async (t) => {
    const { sink, post } = await setup(t);
    const body = {
      team: 'db',
      alerts: [
        { name: 'disk', host: 'db-1', state: 'alerting', level: 'critical' },
        { name: 'cpu', host: 'db-2', state: 'ok' },
        { name: 'x', host: 'y', state: 'ignored' },
      ],
    };
    const res = await post('mapped', JSON.stringify(body), { 'x-token': TOKEN });
    assert.equal(res.statusCode, 202);
    assert.equal(res.json().ids.length, 2);
    await eventually(() => sink.requests.length === 2, 5000, 'delivered');
    const events = sink.requests.map((r) => JSON.parse(r.body).event).sort((a, b) => a.title.localeCompare(b.title));
    assert.deepEqual(
      events.map((e) => [e.title, e.status, e.key, e.severity, e.labels, e.source]),
      [
        ['cpu on db-2', 'resolved', 'cpu:db-2', 'warning', { host: 'db-2', team: 'db' }, 'mapped'],
        ['disk on db-1', 'firing', 'disk:db-1', 'critical', { host: 'db-1', team: 'db' }, 'mapped'],
      ],
    );
  });

  it('refuses malformed, oversized, non-JSON and unmappable bodies with precise errors', async (t) => {
    const { h, post } = await setup(t);
    const cases: [string, string, Record<string, string>, number, string, RegExp][] = [
      ['mapped', '{"alerts": [', {}, 400, 'invalid_payload', /not valid JSON/],
      ['mapped', JSON.stringify({ alerts: [{ name: 'a'.repeat(3000) }] }), {}, 413, 'payload_too_large', /2048 bytes/],
      ['mapped', 'name=x', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', /text\/plain/],
      ['mapped', JSON.stringify({ nope: [] }), {}, 400, 'invalid_payload', /no list at "alerts"/],
      ['mapped', JSON.stringify({ alerts: [{ name: 'a', state: 'x', level: 'urgent' }] }), {}, 422, 'invalid_event', /severity rendered "urgent"/],
      ['plain', JSON.stringify({ text: 'no title' }), { authorization: `Bearer ${TOKEN}` }, 400, 'invalid_payload', /needs a string title/],
      ['plain', JSON.stringify({ title: 'x', status: 'broken' }), { authorization: `Bearer ${TOKEN}` }, 422, 'invalid_event', /status/],
      ['nope', '{}', {}, 404, 'not_found', /no HTTP source named "nope"/],
    ];
    for (const [name, body, headers, status, code, detail] of cases) {
      const res = await post(name, body, { 'x-token': TOKEN, ...headers });
      assert.equal(res.statusCode, status, `${name} ${body.slice(0, 40)}: ${res.body}`);
      assert.equal(res.json().error, code);
      assert.match(res.json().detail, detail);
    }
    const events = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    assert.equal(events.length, 0, 'nothing stored');
  });

  it('verifies Standard Webhooks signatures, refuses replays outside the window and stores a re-sent delivery once', async (t) => {
    const { h, post } = await setup(t);
    const body = JSON.stringify({ title: 'signed event' });
    const now = Math.floor(Date.now() / 1000);
    const sign = (id: string, ts: number, b = body) => ({
      'webhook-id': id,
      'webhook-timestamp': String(ts),
      'webhook-signature': signStandardWebhook(standardWebhookKey(WHSEC), id, ts, b),
    });
    const first = await post('signed', body, sign('msg_1', now));
    assert.equal(first.statusCode, 202);
    const again = await post('signed', body, sign('msg_1', now));
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.json().ids, first.json().ids);
    const refused: [Record<string, string>, RegExp][] = [
      [sign('msg_2', now - 3600), /replay/],
      [{ ...sign('msg_3', now), 'webhook-signature': 'v1,short' }, /does not match/],
      [sign('msg_4', now, '{"title":"other"}'), /does not match/],
      [{}, /missing webhook-id/],
    ];
    for (const [headers, detail] of refused) {
      const res = await post('signed', body, headers);
      assert.equal(res.statusCode, 401);
      assert.match(res.json().detail, detail);
    }
    const events = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    assert.equal(events.length, 1);
  });
});
