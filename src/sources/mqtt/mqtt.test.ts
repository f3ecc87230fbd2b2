import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connectAsync } from 'mqtt';
import { StoreUnavailableError } from '../../../src/store/types.js';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';

const PORT = 1883;
const BROKER = `mqtt://127.0.0.1:${PORT}`;

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port, timeout: 1000 });
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
}

/** Mosquitto on 127.0.0.1:1883, or a loud skip (a failure when CI=true). */
async function needBroker(t: TestContext): Promise<boolean> {
  if (await reachable(PORT)) return true;
  if (process.env.CI === 'true') assert.fail(`Mosquitto is not reachable on 127.0.0.1:${PORT} (CI=true: it must run)`);
  t.skip(`Mosquitto not reachable on 127.0.0.1:${PORT}`);
  return false;
}

async function setup(t: TestContext) {
  const id = randomUUID().slice(0, 8);
  const prefix = `herald-test/${id}`;
  const clientId = `herald-test-${id}`;
  const publisher = await connectAsync(BROKER, { protocolVersion: 5, clientId: `${clientId}-pub`, reconnectPeriod: 0 });
  t.after(() => publisher.endAsync());
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - name: bus
    type: mqtt
    url: ${BROKER}
    topics: ["${prefix}/events/#"]
    client_id: ${clientId}
    id_property: message-id
    max_message_size: 1KiB
    retry_delay: 150ms
  - name: sensors
    type: mqtt
    url: ${BROKER}
    topics: ["${prefix}/sensors/+/temperature"]
    client_id: ${clientId}-sensors
    mapping:
      title: "{{ topic_levels[3] }} temperature {{ payload.value }}°C"
      status: "{% if payload.value > 30 %}firing{% else %}resolved{% endif %}"
      key: "temperature:{{ topic_levels[3] }}"
      labels: {room: "{{ topic_levels[3] }}"}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  // Remove the persistent sessions Herald left on the broker (registered after Herald's stop, so it runs after it).
  t.after(async () => {
    for (const cid of [clientId, `${clientId}-sensors`]) {
      const c = await connectAsync(BROKER, { protocolVersion: 5, clientId: cid, clean: true, reconnectPeriod: 0, properties: { sessionExpiryInterval: 0 } });
      await c.endAsync();
    }
  });
  const publish = (topic: string, body: string | object, userProperties?: Record<string, string>) =>
    publisher.publishAsync(`${prefix}/${topic}`, typeof body === 'string' ? body : JSON.stringify(body), {
      qos: 1,
      properties: userProperties ? { userProperties } : undefined,
    });
  const events = async () =>
    (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { title: string; [k: string]: unknown }[];
  const metrics = async () => (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
  return { sink, h, publish, events, metrics };
}

describe('mqtt source', { timeout: 30_000 }, () => {
  it('turns QoS 1 messages into events that reach the sink, mapped or as Herald events; a message id is stored once', async (t) => {
    if (!(await needBroker(t))) return;
    const { sink, publish, events } = await setup(t);
    await publish('events/db', { title: 'backup failed', status: 'firing', key: 'backup:db-1' }, { 'message-id': 'b-1' });
    await publish('events/db', { title: 'backup failed', status: 'firing', key: 'backup:db-1' }, { 'message-id': 'b-1' });
    await publish('sensors/kitchen/temperature', { value: 35 });
    await publish('sensors/kitchen/humidity', { value: 80 });
    await eventually(() => sink.requests.length === 2, 8000, 'two deliveries');
    const got = sink.requests.map((r) => JSON.parse(r.body).event).sort((a, b) => a.title.localeCompare(b.title));
    assert.deepEqual(
      got.map((e) => [e.title, e.status, e.key, e.labels, e.source]),
      [
        ['backup failed', 'firing', 'backup:db-1', {}, 'bus'],
        ['kitchen temperature 35°C', 'firing', 'temperature:kitchen', { room: 'kitchen' }, 'sensors'],
      ],
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await events()).length, 2, 'the re-sent message id b-1 was stored once');
  });

  it('withholds the PUBACK while the store is unavailable, gets the message redelivered after a reconnect and stores it once', async (t) => {
    if (!(await needBroker(t))) return;
    const { sink, h, publish, events } = await setup(t);
    const store = h.herald.storeForTests();
    const real = store.commitIngest.bind(store);
    let refused = 0;
    store.commitIngest = async () => {
      refused++;
      throw new StoreUnavailableError('database is locked (test)');
    };
    await publish('events/a', { title: 'during outage' });
    await publish('events/a', { title: 'queued behind it' });
    await eventually(() => refused >= 3, 10_000, 'redeliveries during the outage');
    assert.equal(sink.requests.length, 0);
    assert.ok(h.logLines.some((l) => /broker redelivers it after a reconnect/.test(l)));
    store.commitIngest = real;
    await eventually(() => sink.requests.length === 2, 8000, 'stored and delivered after the outage');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual((await events()).map((e) => e.title).sort(), ['during outage', 'queued behind it'], 'each stored exactly once');
  });

  it('refuses bad messages with a reason code, counts them and keeps consuming', async (t) => {
    if (!(await needBroker(t))) return;
    const { sink, h, publish, events, metrics } = await setup(t);
    await publish('events/x', 'not json');
    await publish('events/x', { title: 'z'.repeat(2000) });
    await publish('events/x', { title: 'bad', occurred_at: 'yesterday' });
    await publish('events/x', { title: 'good one' });
    await eventually(() => sink.requests.length === 1, 8000, 'the good message delivered');
    await new Promise((r) => setTimeout(r, 300));
    const m = await metrics();
    assert.match(m, /herald_source_rejected_total\{source="bus",reason="invalid_payload"\} 1/);
    assert.match(m, /herald_source_rejected_total\{source="bus",reason="payload_too_large"\} 1/);
    assert.match(m, /herald_source_rejected_total\{source="bus",reason="invalid_event"\} 1/);
    assert.ok(
      h.logLines.some((l) => /not valid JSON/.test(l) && /reason code 153/.test(l)),
      'the reason is logged',
    );
    assert.deepEqual(
      (await events()).map((e) => e.title),
      ['good one'],
    );
  });
});
