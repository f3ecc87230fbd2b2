import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect } from 'amqplib';
import { StoreUnavailableError } from '../../../src/store/types.js';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';

const PORT = 5672;
const URL = `amqp://guest:guest@127.0.0.1:${PORT}`;

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

/** RabbitMQ on 127.0.0.1:5672, or a loud skip (a failure when CI=true). */
async function needBroker(t: TestContext): Promise<boolean> {
  if (await reachable(PORT)) return true;
  if (process.env.CI === 'true') assert.fail(`RabbitMQ is not reachable on 127.0.0.1:${PORT} (CI=true: it must run)`);
  t.skip(`RabbitMQ not reachable on 127.0.0.1:${PORT}`);
  return false;
}

/** A test-private exchange, queue and dead-letter queue; removed afterwards. */
async function setup(t: TestContext, extra = '') {
  const id = randomUUID().slice(0, 8);
  const names = { exchange: `herald-test-ex-${id}`, queue: `herald-test-q-${id}`, dlx: `herald-test-dlx-${id}`, dlq: `herald-test-dlq-${id}` };
  const admin = await connect(URL);
  const ch = await admin.createChannel();
  await ch.assertExchange(names.exchange, 'topic', { durable: false, autoDelete: false });
  await ch.assertExchange(names.dlx, 'fanout', { durable: false });
  await ch.assertQueue(names.dlq, { durable: false });
  await ch.bindQueue(names.dlq, names.dlx, '');
  t.after(async () => {
    const c = await admin.createChannel();
    for (const q of [names.queue, `${names.queue}-mapped`, names.dlq]) await c.deleteQueue(q);
    for (const e of [names.exchange, names.dlx]) await c.deleteExchange(e);
    await admin.close();
  });
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - name: bus
    type: amqp
    url: ${URL}
    queue: ${names.queue}
    bindings: [{exchange: ${names.exchange}, routing_key: "alerts.#"}]
    dead_letter_exchange: ${names.dlx}
    max_message_size: 1KiB
    retry_delay: 150ms
    prefetch: 4
  - name: metrics
    type: amqp
    url: ${URL}
    queue: ${names.queue}-mapped
    bindings: [{exchange: ${names.exchange}, routing_key: "metrics.*"}]
    mapping:
      title: "{{ payload.host }}: {{ payload.metric }} at {{ payload.value }}"
      status: "{% if payload.value > 90 %}firing{% else %}resolved{% endif %}"
      key: "{{ payload.metric }}:{{ payload.host }}"
      labels: {host: "{{ payload.host }}", routing_key: "{{ routing_key }}"}
${extra}receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  const publish = (key: string, body: string | object, options: { messageId?: string } = {}) =>
    ch.publish(names.exchange, key, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), { persistent: true, ...options });
  const events = async () =>
    (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { title: string; [k: string]: unknown }[];
  const metrics = async () => (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
  return { names, ch, sink, h, publish, events, metrics };
}

describe('amqp source', { timeout: 30_000 }, () => {
  it('turns queue messages into events that reach the sink, mapped or as Herald events, a message id stored once', async (t) => {
    if (!(await needBroker(t))) return;
    const { sink, publish, events } = await setup(t);
    publish('alerts.db', { title: 'disk full', status: 'firing', key: 'disk:db-1', labels: { host: 'db-1' } }, { messageId: 'm-1' });
    publish('alerts.db', { title: 'disk full', status: 'firing', key: 'disk:db-1', labels: { host: 'db-1' } }, { messageId: 'm-1' });
    publish('metrics.cpu', { host: 'web-1', metric: 'cpu', value: 97 });
    publish('other.key', { title: 'not bound' });
    await eventually(() => sink.requests.length === 2, 8000, 'two deliveries');
    const got = sink.requests.map((r) => JSON.parse(r.body).event).sort((a, b) => a.title.localeCompare(b.title));
    assert.deepEqual(
      got.map((e) => [e.title, e.status, e.key, e.labels, e.source]),
      [
        ['disk full', 'firing', 'disk:db-1', { host: 'db-1' }, 'bus'],
        ['web-1: cpu at 97', 'firing', 'cpu:web-1', { host: 'web-1', routing_key: 'metrics.cpu' }, 'metrics'],
      ],
    );
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await events()).length, 2, 'the re-sent message id m-1 was stored once');
  });

  it('leaves messages unacknowledged while the store is unavailable, requeues them and stores each once later', async (t) => {
    if (!(await needBroker(t))) return;
    const { names, ch, sink, h, publish, events } = await setup(t);
    const store = h.herald.storeForTests();
    const real = store.commitIngest.bind(store);
    let refused = 0;
    store.commitIngest = async () => {
      refused++;
      throw new StoreUnavailableError('database is locked (test)');
    };
    publish('alerts.a', { title: 'first' });
    publish('alerts.b', { title: 'second' });
    // Each message is handed back and redelivered several times while the outage lasts.
    await eventually(() => refused >= 6, 8000, 'redeliveries during the outage');
    assert.equal(sink.requests.length, 0);
    assert.ok(
      h.logLines.some((l) => /stays unacknowledged/.test(l)),
      'the outage is logged',
    );
    store.commitIngest = real;
    await eventually(async () => (await events()).length === 2, 8000, 'both stored after the outage');
    await eventually(() => sink.requests.length === 2, 5000, 'both delivered');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual((await events()).map((e) => e.title).sort(), ['first', 'second'], 'each stored exactly once');
    const q = await ch.checkQueue(names.queue);
    assert.equal(q.messageCount, 0, 'nothing left in the queue');
    const dl = await ch.checkQueue(names.dlq);
    assert.equal(dl.messageCount, 0, 'nothing dead-lettered');
  });

  it('dead-letters bad messages with a counted reason and keeps consuming', async (t) => {
    if (!(await needBroker(t))) return;
    const { names, ch, sink, h, publish, events, metrics } = await setup(t);
    publish('alerts.x', 'this is not json');
    publish('alerts.x', { title: 'x'.repeat(2000) });
    publish('alerts.x', { text: 'no title' });
    publish('alerts.x', { title: 'bad status', status: 'broken' });
    publish('metrics.cpu', { host: 'web-1', metric: 'cpu', value: 97 });
    publish('metrics.cpu', { host: 'h', metric: 'm', value: 1, nested: '{{' }, { messageId: 'ok-ish' });
    publish('alerts.x', { title: 'good one' });
    await eventually(() => sink.requests.length === 3, 8000, 'the good messages delivered');
    await eventually(async () => (await ch.checkQueue(names.dlq)).messageCount === 4, 5000, 'four dead-lettered');
    const dead: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await ch.get(names.dlq, { noAck: true });
      assert.ok(m);
      dead.push(m.content.toString().slice(0, 20));
    }
    assert.deepEqual(dead.sort(), ['this is not json', '{"text":"no title"}', '{"title":"bad status', '{"title":"xxxxxxxxxx'].sort());
    const m = await metrics();
    assert.match(m, /herald_source_rejected_total\{source="bus",reason="invalid_payload"\} 2/);
    assert.match(m, /herald_source_rejected_total\{source="bus",reason="payload_too_large"\} 1/);
    assert.match(m, /herald_source_rejected_total\{source="bus",reason="invalid_event"\} 1/);
    assert.ok(
      h.logLines.some((l) => /not valid JSON/.test(l) && /dead-lettered/.test(l)),
      'the reason is logged',
    );
    assert.deepEqual((await events()).map((e) => e.title).sort(), ['good one', 'h: m at 1', 'web-1: cpu at 97']);
    assert.equal((await ch.checkQueue(names.queue)).messageCount, 0, 'no bad message is redelivered');
  });

  it('reconnects after the broker cancels the consumer and consumes again', async (t) => {
    if (!(await needBroker(t))) return;
    const { names, sink, h, publish } = await setup(t);
    publish('alerts.a', { title: 'before' });
    await eventually(() => sink.requests.length === 1, 5000, 'first delivered');
    // Deleting the queue cancels the consumer; the source must notice, reconnect and re-declare it with its bindings.
    const admin = await connect(URL);
    t.after(() => admin.close());
    const c = await admin.createChannel();
    const consuming = () => h.logLines.filter((l) => /consuming AMQP queue/.test(l) && l.includes(`"queue":"${names.queue}"`)).length;
    assert.equal(consuming(), 1);
    await c.deleteQueue(names.queue);
    await eventually(() => consuming() === 2, 8000, 'reconnected');
    publish('alerts.b', { title: 'after' });
    await eventually(() => sink.requests.length === 2, 5000, 'delivered after reconnect');
  });
});
