import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { StoreUnavailableError } from '../../../src/store/types.js';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';

const PORT = 4222;

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

/** NATS on 127.0.0.1:4222, or a loud skip (a failure when CI=true). */
async function needBroker(t: TestContext): Promise<boolean> {
  if (await reachable(PORT)) return true;
  if (process.env.CI === 'true') assert.fail(`NATS is not reachable on 127.0.0.1:${PORT} (CI=true: it must run)`);
  t.skip(`NATS not reachable on 127.0.0.1:${PORT}`);
  return false;
}

/** A TCP relay to the NATS server whose connections the test can cut, as a network failure would. */
async function startRelay(t: TestContext) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((client) => {
    connections++;
    const upstream = tcpConnect({ host: '127.0.0.1', port: PORT });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    port: (server.address() as { port: number }).port,
    connections: () => connections,
    cut: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

/** A test-private stream; deleted afterwards with its consumers. */
async function setup(t: TestContext, o: { jsServer?: string } = {}) {
  const id = randomUUID().slice(0, 8);
  const stream = `HERALD_TEST_${id}`;
  const prefix = `herald-test.${id}`;
  const nc = await connect({ servers: [`nats://127.0.0.1:${PORT}`] });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.js.>`] });
  t.after(async () => {
    await jsm.streams.delete(stream);
    await nc.close();
  });
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - name: js
    type: nats
    servers: ["${o.jsServer ?? `nats://127.0.0.1:${PORT}`}"]
    stream: ${stream}
    durable: herald
    subject: "${prefix}.js.>"
    ack_wait: 5s
    retry_delay: 150ms
    max_message_size: 1KiB
  - name: core
    type: nats
    servers: ["127.0.0.1:${PORT}"]
    subject: "${prefix}.core.*"
    mapping:
      title: "{{ payload.check }} is {{ payload.state }}"
      status: "{% if payload.state == 'ok' %}resolved{% else %}firing{% endif %}"
      key: "{{ payload.check }}"
      labels: {subject: "{{ subject }}"}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  const js = jetstream(nc);
  const publish = (sub: string, body: string | object, msgID?: string) =>
    js.publish(`${prefix}.js.${sub}`, typeof body === 'string' ? body : JSON.stringify(body), msgID ? { msgID } : undefined);
  const pending = async () => {
    const info = await jsm.consumers.info(stream, 'herald');
    return { pending: info.num_pending, ackPending: info.num_ack_pending, redelivered: info.num_redelivered };
  };
  const events = async () =>
    (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { title: string; [k: string]: unknown }[];
  const metrics = async () => (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
  return { nc, prefix, sink, h, publish, pending, events, metrics };
}

describe('nats source', { timeout: 30_000 }, () => {
  it('turns JetStream and core messages into events that reach the sink; a request gets the stored ids', async (t) => {
    if (!(await needBroker(t))) return;
    const { nc, prefix, sink, publish, pending, events } = await setup(t);
    await publish('db', { title: 'replica lag', status: 'firing', key: 'lag:db-2', labels: { host: 'db-2' } }, 'lag-1');
    const reply = await nc.request(`${prefix}.core.web`, JSON.stringify({ check: 'http', state: 'down' }), { timeout: 5000 });
    const answer = reply.json<{ ids: string[] }>();
    assert.equal(answer.ids.length, 1, 'the request is answered after the commit');
    await eventually(() => sink.requests.length === 2, 8000, 'two deliveries');
    const got = sink.requests.map((r) => JSON.parse(r.body).event).sort((a, b) => a.title.localeCompare(b.title));
    assert.deepEqual(
      got.map((e) => [e.title, e.status, e.key, e.labels, e.source]),
      [
        ['http is down', 'firing', 'http', { subject: `${prefix}.core.web` }, 'core'],
        ['replica lag', 'firing', 'lag:db-2', { host: 'db-2' }, 'js'],
      ],
    );
    assert.ok((await events()).some((e) => e.id === answer.ids[0]));
    await eventually(async () => (await pending()).ackPending === 0, 3000, 'acked');
  });

  it('naks while the store is unavailable, gets the message redelivered and stores it once', async (t) => {
    if (!(await needBroker(t))) return;
    const { sink, h, publish, pending, events } = await setup(t);
    const store = h.herald.storeForTests();
    const real = store.commitIngest.bind(store);
    let refused = 0;
    store.commitIngest = async () => {
      refused++;
      throw new StoreUnavailableError('database is locked (test)');
    };
    await publish('a', { title: 'during outage' });
    await eventually(() => refused >= 4, 8000, 'redeliveries during the outage');
    assert.equal(sink.requests.length, 0);
    assert.ok((await pending()).redelivered >= 1, 'JetStream redelivered it');
    assert.ok(h.logLines.some((l) => /nak, it will be redelivered/.test(l)));
    store.commitIngest = real;
    await eventually(() => sink.requests.length === 1, 8000, 'stored and delivered after the outage');
    await eventually(async () => (await pending()).ackPending === 0, 3000, 'acked');
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(
      (await events()).map((e) => e.title),
      ['during outage'],
      'stored exactly once',
    );
  });

  it('reconnects with backoff after its connection is cut, reports it in status, and consumes again', async (t) => {
    if (!(await needBroker(t))) return;
    const relay = await startRelay(t);
    const where = `nats://127.0.0.1:${relay.port}`;
    const { sink, h, publish } = await setup(t, { jsServer: where });
    const status = async () =>
      ((await h.herald.server.inject({ method: 'GET', url: '/api/v1/sources' })).json().sources as { name: string; state: string; detail: string }[]).find(
        (x) => x.name === 'js',
      );
    assert.deepEqual([(await status())?.state, (await status())?.detail], ['connected', where]);
    await publish('a', { title: 'before the cut' });
    await eventually(() => sink.requests.length === 1, 8000, 'first delivery');
    relay.cut();
    await eventually(() => h.logLines.some((l) => /NATS connection lost; reconnecting/.test(l)), 5000, 'the drop noticed by the listener');
    await publish('a', { title: 'after the cut' });
    await eventually(() => sink.requests.length === 2, 8000, 'delivered over the new connection');
    assert.ok(relay.connections() >= 2, 'a new connection through the relay');
    assert.equal((await status())?.state, 'connected');
  });

  it('terminates bad messages with a counted reason and keeps consuming', async (t) => {
    if (!(await needBroker(t))) return;
    const { sink, h, publish, pending, events, metrics } = await setup(t);
    await publish('x', 'not json at all');
    await publish('x', { title: 'y'.repeat(2000) });
    await publish('x', [{ title: 'ok' }, { nope: 1 }]);
    await publish('x', { title: 'bad severity', severity: 'apocalyptic' });
    await publish('x', { title: 'good one' });
    await eventually(() => sink.requests.length === 1, 8000, 'the good message delivered');
    await eventually(
      async () => (await pending()).ackPending === 0,
      3000,
      `all settled ${JSON.stringify(await pending())} ${(await metrics())
        .split('\n')
        .filter((l) => l.includes('rejected_total{'))
        .join(' ')}`,
    );
    await new Promise((r) => setTimeout(r, 300));
    const info = await pending();
    assert.equal(info.redelivered, 0, 'no bad message is redelivered');
    const m = await metrics();
    assert.match(m, /herald_source_rejected_total\{source="js",reason="invalid_payload"\} 2/);
    assert.match(m, /herald_source_rejected_total\{source="js",reason="payload_too_large"\} 1/);
    assert.match(m, /herald_source_rejected_total\{source="js",reason="invalid_event"\} 1/);
    assert.ok(
      h.logLines.some((l) => /\[1\]: not a Herald event/.test(l) && /terminated/.test(l)),
      'the reason is logged',
    );
    assert.deepEqual(
      (await events()).map((e) => e.title),
      ['good one'],
    );
  });
});
