import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type Logger, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, SAMPLE_EVENT } from '@herald/sdk/testing';
import { startFakeVictorOps } from '../../../test/fakes/victorops.js';
import { deliveries, eventually, startHerald, type TestHerald } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import victorops from './index.js';

const yaml = (url: string, key: string, policy = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: vo, type: victorops, api_key: "${key}", routing_key: database, url: "${url}/integrations/generic/20131114/alert"}
routes: [{name: ops, receivers: [vo]${policy}}]
`;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const post = (h: TestHerald, payload: unknown) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: payload as object });
const settled = (h: TestHerald) =>
  eventually(
    async () => {
      const ds = await deliveries(h);
      return ds.length > 0 && ds.every((d) => d.state === 'succeeded' || d.state === 'dead');
    },
    5000,
    'deliveries settled',
  );

describe('victorops receiver', () => {
  it('opens an incident: key and routing key in the path, entity_id from the event key, the documented fields', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeVictorOps();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    const { ids } = (
      await post(h, {
        title: 'db-1 down',
        text: 'ping failed',
        status: 'firing',
        severity: 'critical',
        key: 'db-1',
        source: 'grafana',
        labels: { host: 'db-1' },
        url: 'https://grafana.example/d/1',
        occurred_at: '2026-03-01T11:59:00Z',
      })
    ).json();
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    assert.deepEqual(fake.rejected, []);
    const [req] = fake.accepted;
    assert.equal(req?.path, `/integrations/generic/20131114/alert/${fake.apiKey}/database`);
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    assert.deepEqual(req?.body, {
      message_type: 'CRITICAL',
      entity_id: 'db-1',
      entity_display_name: 'db-1 down',
      state_message: 'ping failed\n\nhttps://grafana.example/d/1',
      monitoring_tool: 'Herald',
      state_start_time: Date.parse('2026-03-01T11:59:00Z') / 1000,
      herald_source: 'grafana',
      herald_event_id: ids[0],
      label_host: 'db-1',
    });
    await settled(h);
    const [d] = await deliveries(h);
    assert.equal(d?.state, 'succeeded');
    assert.ok(!h.logLines.join('\n').includes(fake.apiKey), 'the key is never logged');
  });

  it('message_type follows effectiveSeverity: no severity while firing pages (CRITICAL), info is INFO, resolved is RECOVERY', {
    timeout: 15_000,
  }, async (t) => {
    const fake = await startFakeVictorOps();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    await post(h, [
      { title: 'a', key: 'a', status: 'firing', severity: 'critical' },
      { title: 'b', key: 'b', status: 'firing', severity: 'error' },
      { title: 'c', key: 'c', status: 'firing', severity: 'warning' },
      { title: 'd', key: 'd', status: 'firing', severity: 'info' },
      { title: 'e', key: 'e', status: 'firing' },
      { title: 'f', key: 'f', status: 'info' },
      { title: 'g', key: 'g', status: 'resolved', severity: 'critical' },
    ]);
    await eventually(() => fake.accepted.length === 7, 5000, 'all accepted');
    assert.deepEqual(Object.fromEntries(fake.accepted.map((a) => [a.body.entity_id, a.body.message_type])), {
      a: 'CRITICAL',
      b: 'CRITICAL',
      c: 'WARNING',
      d: 'INFO',
      e: 'CRITICAL',
      f: 'INFO',
      g: 'RECOVERY',
    });
  });

  it('an incident fires, is acknowledged through Herald and resolves — all under the incident key', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeVictorOps();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey, ', policy: {repeat_interval: 1h, group_interval: 0s}'));
    await post(h, { title: 'disk full', status: 'firing', severity: 'warning', key: 'disk/db-1' });
    await eventually(() => fake.incidents.get('disk/db-1')?.state === 'triggered', 10_000, 'triggered');
    const [incident] = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/incidents' })).json().incidents;
    const ack = await h.herald.server.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/ack` });
    assert.deepEqual(ack.json().notified, ['vo'], 'victorops passes acknowledgements on');
    await eventually(() => fake.incidents.get('disk/db-1')?.state === 'acknowledged', 10_000, 'acknowledged');
    await post(h, { title: 'disk ok', status: 'resolved', key: 'disk/db-1' });
    await eventually(() => fake.incidents.get('disk/db-1')?.state === 'resolved', 10_000, 'resolved');
    assert.deepEqual(
      fake.accepted.map((a) => [a.body.message_type, a.body.entity_id]),
      [
        ['WARNING', 'disk/db-1'],
        ['ACKNOWLEDGEMENT', 'disk/db-1'],
        ['RECOVERY', 'disk/db-1'],
      ],
    );
    assert.equal(fake.accepted[1]?.body.ack_author, 'Herald');
    assert.match(String(fake.accepted[1]?.body.ack_msg), /Acknowledged by/);
    assert.deepEqual(fake.rejected, []);
  });

  it('400 is dead at once with the endpoint’s message; a wrong key (404) too, without the key in the error', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeVictorOps();
    t.after(() => fake.close());
    fake.script = [{ status: 400, body: { result: 'failure', message: 'Missing fields: entity_id' } }];
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    await post(h, { title: 'x', status: 'firing' });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.equal(fake.rejected.length, 1, 'not retried');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /HTTP 400: Missing fields: entity_id/);

    const wrongKey = 'not-the-key-0000-1111-2222';
    const h2 = await startHerald(t, yaml(fake.url, wrongKey));
    await post(h2, { title: 'x', status: 'firing' });
    await eventually(async () => (await deliveries(h2))[0]?.state === 'dead', 5000, 'dead on 404');
    const [d] = await deliveries(h2);
    assert.equal(d?.attempts, 1);
    assert.ok(!(d?.last_error ?? '').includes(wrongKey) && !h2.logLines.join('\n').includes(wrongKey), 'the key stays secret');
  });

  it('429 (Retry-After) and 5xx are retried with the same entity_id; without a key the entity is the delivery id', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeVictorOps();
    t.after(() => fake.close());
    fake.script = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 502 }];
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    const t0 = Date.now();
    await post(h, { title: 'no key', status: 'firing' });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 10_000, 'delivered after retries');
    assert.ok(Date.now() - t0 >= 1000, 'waited for Retry-After');
    assert.deepEqual(
      fake.rejected.map((r) => r.status),
      [429, 502],
    );
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 2, 'the 429 used no attempt');
    assert.equal(fake.accepted[0]?.body.entity_id, d?.id);
  });

  it('a 200 that says "failure" is not a delivery; state_message is cut to 20,480 characters', async (t) => {
    const fake = await startFakeVictorOps();
    t.after(() => fake.close());
    const instance = victorops.create(
      filledConfig(victorops, { api_key: fake.apiKey, routing_key: 'database', url: `${fake.url}/integrations/generic/20131114/alert` }),
      { name: 'vo', log: quiet, templates: createTemplateEngine(), clock: systemClock },
    );
    const ctx = {
      http: loopbackHttpClient(),
      net: loopbackTcpClient(),
      state: memoryState(),
      log: quiet,
      clock: systemClock,
      attempt: 1,
      signal: new AbortController().signal,
    };
    await instance.send({ id: 'd1', receiver: 'vo', people: [], event: { ...SAMPLE_EVENT, text: 'x'.repeat(30_000) } }, ctx);
    assert.deepEqual(fake.rejected, []);
    assert.equal(String(fake.accepted[0]?.body.state_message).length, 20_480);
    fake.script = [{ status: 200, body: { result: 'failure', message: 'routing key unknown' } }];
    const err = await instance.send({ id: 'd2', receiver: 'vo', people: [], event: SAMPLE_EVENT }, ctx).catch((e: unknown) => e);
    assert.ok(err instanceof DeliveryError && !err.retryable);
    assert.match(err.message, /answered failure: routing key unknown/);
  });
});
