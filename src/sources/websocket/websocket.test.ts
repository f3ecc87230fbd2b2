import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { type WebSocket, WebSocketServer } from 'ws';
import { eventually, registry, selfSignedCert, startHerald, startSink, type TestHerald, tempDir } from '../../../test/helpers/harness.js';
import { parseConfig } from '../../config/load.js';
import { StoreUnavailableError } from '../../store/types.js';

const TOKEN = 'stream-token-0123456789abcdef';
const DOCKER_LINES = readFileSync(new URL('./fixtures/docker-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Upgrade {
  url: string;
  headers: IncomingHttpHeaders;
  at: number;
}

/** A loopback WebSocket server that records TCP connections, handshakes and messages. */
interface WsServer {
  port: number;
  /** TCP connections accepted (a refused-by-policy client makes none). */
  connections: number;
  upgrades: Upgrade[];
  received: string[];
  clients: Set<WebSocket>;
  /** Close codes the server saw from clients. */
  closes: number[];
  onClient: (ws: WebSocket) => void;
  close(): Promise<void>;
}

async function startWsServer(opts: { port?: number; refuse?: number; autoPong?: boolean; tls?: { key: Buffer; cert: Buffer } } = {}): Promise<WsServer> {
  const http: Server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }) : createServer();
  const srv: WsServer = {
    port: 0,
    connections: 0,
    upgrades: [],
    received: [],
    clients: new Set(),
    closes: [],
    onClient: () => {},
    close: async () => {},
  };
  const wss = new WebSocketServer({
    server: http,
    autoPong: opts.autoPong ?? true,
    verifyClient: (info, cb) => {
      srv.upgrades.push({ url: info.req.url ?? '', headers: info.req.headers, at: Date.now() });
      if (opts.refuse) cb(false, opts.refuse, 'Unauthorized');
      else cb(true);
    },
  });
  http.on(opts.tls ? 'secureConnection' : 'connection', () => {
    srv.connections++;
  });
  wss.on('connection', (ws) => {
    srv.clients.add(ws);
    ws.on('message', (m) => srv.received.push(m.toString()));
    ws.on('close', (code) => {
      srv.clients.delete(ws);
      srv.closes.push(code);
    });
    srv.onClient(ws);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  srv.port = (http.address() as AddressInfo).port;
  srv.close = () =>
    new Promise<void>((resolve) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return srv;
}

/** Stored events in commit order. */
async function storedEvents(h: TestHerald): Promise<Record<string, unknown>[]> {
  const res = await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?limit=500' });
  return (res.json().events as Record<string, unknown>[]).reverse();
}

async function downEvents(h: TestHerald, name: string) {
  return (await storedEvents(h)).filter((e) => e.key === `source-down:${name}`);
}

function logs(h: TestHerald, msg: string): Record<string, unknown>[] {
  return h.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
}

const MAPPING = `
    mapping:
      filter: "{% if payload.Type == 'container' %}true{% endif %}"
      title: "{{ payload.Actor.Attributes.name }} {{ payload.Action }}"
      status: "{% if payload.Action == 'die' or payload.Action == 'oom' %}firing{% elsif payload.Action == 'start' %}resolved{% else %}info{% endif %}"
      key: "docker:{{ payload.Actor.Attributes.name }}"
      labels: {image: "{{ payload.from }}"}`;

interface ConfigOptions {
  /** More keys for the source entry, indented by four spaces. */
  extra?: string;
  allow?: boolean;
  sink?: string;
  downAfter?: string;
  reconnect?: string;
}

function config(port: number, o: ConfigOptions = {}) {
  return `${o.allow === false ? '' : 'outbound: {allow: ["127.0.0.0/8"]}\n'}delivery: {poll_interval: 20ms}
sources:
  - name: docker
    type: websocket
    url: ws://127.0.0.1:${port}/events?filters=container
    down_after: ${o.downAfter ?? '300ms'}
    reconnect: ${o.reconnect ?? '{initial: 50ms, max: 200ms}'}
${o.extra ?? ''}${MAPPING}
${o.sink ? `receivers:\n  - {name: out, type: webhook, url: "${o.sink}/hook"}\nroutes: [{receivers: [out]}]\n` : ''}`;
}

describe('websocket source', () => {
  it('turns each Docker event message into an event, sending headers, token and the subscribe message; bad JSON is counted', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const srv = await startWsServer();
    t.after(() => srv.close());
    srv.onClient = (ws) => {
      ws.once('message', () => {
        // After the subscribe message: the fixture, with a broken message in the middle.
        const lines = [...DOCKER_LINES.slice(0, 4), '{"status":"die","id":', ...DOCKER_LINES.slice(4)];
        for (const line of lines) ws.send(line);
      });
    };
    const h = await startHerald(
      t,
      config(srv.port, {
        sink: sink.url,
        downAfter: '5s',
        extra: `    token: ${TOKEN}
    headers: {X-Client: herald-test}
    ping_interval: 400ms
    subscribe: {type: subscribe, topics: [container]}`,
      }),
    );
    await eventually(async () => (await storedEvents(h)).length === 6, 5000, 'six container events stored');
    const events = await storedEvents(h);
    assert.deepEqual(
      events.map((e) => [e.title, e.status, e.key, e.source, e.labels]),
      [
        ['test create', 'info', 'docker:test', 'docker', { image: 'alpine' }],
        ['test start', 'resolved', 'docker:test', 'docker', { image: 'alpine' }],
        ['shop-web-1 health_status: unhealthy', 'info', 'docker:shop-web-1', 'docker', { image: 'nginx:1.25' }],
        ['shop-web-1 oom', 'firing', 'docker:shop-web-1', 'docker', { image: 'nginx:1.25' }],
        ['shop-web-1 die', 'firing', 'docker:shop-web-1', 'docker', { image: 'nginx:1.25' }],
        ['shop-web-1 health_status: healthy', 'info', 'docker:shop-web-1', 'docker', { image: 'nginx:1.25' }],
      ],
      'in stream order; the network and image events are filtered out',
    );
    const die = events[4]?.data as { Actor?: { Attributes?: { exitCode?: string } } } | undefined;
    assert.equal(die?.Actor?.Attributes?.exitCode, '137', 'the message is the event data');
    await eventually(() => sink.requests.length === 6, 5000, 'delivered to the sink');

    assert.equal(srv.upgrades.length, 1);
    const up = srv.upgrades[0] as Upgrade;
    assert.equal(up.url, '/events?filters=container');
    assert.equal(up.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(up.headers['x-client'], 'herald-test');
    assert.deepEqual(
      srv.received.map((m) => JSON.parse(m)),
      [{ type: 'subscribe', topics: ['container'] }],
    );

    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="docker",reason="invalid_json"\} 1\n/);
    const refused = logs(h, 'input refused');
    assert.equal(refused.length, 1);
    assert.match(String(refused[0]?.detail), /message 5: message is not valid JSON/);

    // Pings are answered, so the one connection stays up; the token never reaches the logs.
    await sleep(1000);
    assert.equal(srv.upgrades.length, 1, 'still the first connection');
    assert.equal(srv.clients.size, 1);
    assert.ok(!h.logLines.some((l) => l.includes(TOKEN)), 'token masked in logs');
  });

  it('raises source-down:<name> once after the grace when the server dies, and resolves it when the server is back', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    let srv = await startWsServer();
    t.after(() => srv.close());
    const port = srv.port;
    const h = await startHerald(t, config(port, { extra: '    ping_interval: 200ms', downAfter: '600ms', sink: sink.url }));
    await eventually(() => srv.clients.size === 1, 5000, 'connected');
    await sleep(700);
    assert.deepEqual(await downEvents(h, 'docker'), [], 'no outage while connected (pongs keep the connection)');
    assert.equal(srv.upgrades.length, 1);

    const killedAt = Date.now();
    await srv.close();
    await sleep(250);
    assert.deepEqual(await downEvents(h, 'docker'), [], 'nothing within the grace period');
    await eventually(async () => (await downEvents(h, 'docker')).length === 1, 3000, 'source-down firing');
    const firedAfter = Date.now() - killedAt;
    assert.ok(firedAfter >= 580, `fired after the grace (${firedAfter} ms)`);
    const [firing] = await downEvents(h, 'docker');
    assert.equal(firing?.status, 'firing');
    assert.equal(firing?.severity, 'error');
    assert.equal(firing?.source, 'docker');
    assert.deepEqual(firing?.labels, { source_name: 'docker' });
    assert.match(String(firing?.title), /^stream docker is down: /);
    assert.match(String(firing?.title), /ECONNREFUSED|closed/);

    await sleep(600);
    assert.equal((await downEvents(h, 'docker')).length, 1, 'one firing per outage, however many attempts fail');
    assert.ok(logs(h, 'stream connection failed; retrying').length >= 2, 'kept retrying meanwhile');

    srv = await startWsServer({ port });
    await eventually(async () => (await downEvents(h, 'docker')).length === 2, 5000, 'resolved after reconnect');
    const [, resolved] = await downEvents(h, 'docker');
    assert.equal(resolved?.status, 'resolved');
    assert.equal(resolved?.key, 'source-down:docker');
    assert.match(String(resolved?.title), /^stream docker is connected again/);
    assert.equal(srv.clients.size, 1);
    await eventually(
      () => sink.requests.filter((r) => JSON.parse(r.body).event.key === 'source-down:docker').length === 2,
      5000,
      'firing and resolve delivered',
    );
    const statuses = sink.requests.map((r) => JSON.parse(r.body).event).filter((e) => e.key === 'source-down:docker');
    assert.deepEqual(statuses.map((e) => e.status).sort(), ['firing', 'resolved']);
  });

  it('an outage announced before a Herald restart is resolved by the restarted Herald', async (t) => {
    const dir = tempDir(t);
    const port = (
      await startWsServer().then(async (s) => {
        await s.close();
        return s;
      })
    ).port;
    const first = await startHerald(t, config(port, { downAfter: '200ms' }), { dir });
    await eventually(async () => (await downEvents(first, 'docker')).length === 1, 5000, 'firing while the server is away');
    await first.stop();
    const srv = await startWsServer({ port });
    t.after(() => srv.close());
    const second = await startHerald(t, config(port, { downAfter: '200ms' }), { dir });
    await eventually(async () => (await downEvents(second, 'docker')).length === 2, 5000, 'resolved after the restart');
    assert.deepEqual(
      (await downEvents(second, 'docker')).map((e) => e.status),
      ['firing', 'resolved'],
    );
  });

  it('keeps retrying with exponential, jittered backoff when the server refuses the upgrade (401), and reports the outage', async (t) => {
    const srv = await startWsServer({ refuse: 401 });
    t.after(() => srv.close());
    const h = await startHerald(t, config(srv.port, { downAfter: '500ms', reconnect: '{initial: 100ms, max: 400ms, factor: 2}' }));
    const started = Date.now();
    await eventually(async () => (await downEvents(h, 'docker')).length === 1, 3000, 'source-down firing');
    const [firing] = await downEvents(h, 'docker');
    assert.match(String(firing?.title), /^stream docker is down: Unexpected server response: 401/);
    await sleep(Math.max(0, 2000 - (Date.now() - started)));
    const attempts = srv.upgrades.length;
    // Without backoff this would be hundreds; with it the mean delay is ~200 ms after the first few.
    assert.ok(attempts >= 3 && attempts <= 30, `bounded attempts in 2 s: ${attempts}`);
    const retries = logs(h, 'stream connection failed; retrying');
    assert.deepEqual(
      retries.slice(0, 5).map((l) => l.cap_ms),
      [100, 200, 400, 400, 400],
      'the ceiling doubles up to max',
    );
    assert.ok(
      retries.every((l) => (l.retry_in_ms as number) >= 0 && (l.retry_in_ms as number) < (l.cap_ms as number)),
      'each delay is drawn below its ceiling',
    );
    assert.ok(new Set(retries.map((l) => l.retry_in_ms)).size > 1, 'delays are jittered');
    assert.equal(srv.connections, attempts, 'one TCP connection per attempt');
    assert.equal((await downEvents(h, 'docker')).length, 1);
  });

  it('connects only through the outbound guard: a loopback server without outbound.allow sees no connection', async (t) => {
    const srv = await startWsServer();
    t.after(() => srv.close());
    const h = await startHerald(t, config(srv.port, { allow: false, downAfter: '500ms' }));
    await eventually(async () => (await downEvents(h, 'docker')).length === 1, 3000, 'source-down firing');
    const [firing] = await downEvents(h, 'docker');
    assert.match(String(firing?.title), /refused to connect to 127\.0\.0\.1.*add its CIDR to outbound\.allow/);
    const refusals = logs(h, 'stream connection refused by the outbound policy');
    assert.ok(refusals.length >= 1);
    assert.match(String(refusals[0]?.err), /refused to connect to 127\.0\.0\.1/);
    assert.equal(srv.connections, 0, 'not a single TCP connection');
    assert.equal(srv.upgrades.length, 0);
  });

  it('keeps a message it cannot store in memory and retries it, in order, until the store is back', async (t) => {
    const srv = await startWsServer();
    t.after(() => srv.close());
    const h = await startHerald(t, config(srv.port, { extra: '    ping_interval: 250ms', downAfter: '5s' }));
    await eventually(() => srv.clients.size === 1, 5000, 'connected');
    const store = h.herald.storeForTests();
    const original = store.commitIngest;
    let refusedCommits = 0;
    store.commitIngest = async () => {
      refusedCommits++;
      throw new StoreUnavailableError('database is locked');
    };
    const client = [...srv.clients][0] as WebSocket;
    for (const line of DOCKER_LINES.slice(0, 5)) client.send(line);
    await eventually(() => logs(h, 'could not store a stream message; keeping it and retrying').length >= 3, 5000, 'retries');
    assert.deepEqual(await storedEvents(h), []);
    // The connection survives the outage: pings are still answered while messages wait.
    await sleep(700);
    assert.equal(srv.upgrades.length, 1);
    store.commitIngest = original;
    await eventually(async () => (await storedEvents(h)).length === 5, 10_000, 'all five stored');
    assert.deepEqual(
      (await storedEvents(h)).map((e) => e.title),
      ['test create', 'test start', 'shop-web-1 health_status: unhealthy', 'shop-web-1 oom', 'shop-web-1 die'],
      'stored once each, in stream order',
    );
    assert.ok(refusedCommits >= 3);
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.doesNotMatch(metrics, /herald_source_rejected_total\{source="docker"/, 'a store outage is not a refusal');
  });

  it('cuts a connection whose pongs stop coming and reconnects', async (t) => {
    const srv = await startWsServer({ autoPong: false });
    t.after(() => srv.close());
    const h = await startHerald(t, config(srv.port, { extra: '    ping_interval: 150ms', downAfter: '5s' }));
    await eventually(() => srv.upgrades.length >= 2, 3000, 'a second connection after the pong timeout');
    const dropped = logs(h, 'stream disconnected; reconnecting');
    assert.match(String(dropped[0]?.reason), /no pong within 150 ms/);
    const gap = (srv.upgrades[1] as Upgrade).at - (srv.upgrades[0] as Upgrade).at;
    assert.ok(gap >= 250, `the first connection lived about two ping intervals (${gap} ms)`);
  });

  it('never enriches its own source-down and recovery events: no lookup is made, the outage is delivered without enrichment data', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    // The user's REST API behind the enrichment step; every request is counted.
    const api = await startSink();
    t.after(() => api.close());
    api.respond = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'web', state: 'Running' }));
    };
    let srv = await startWsServer();
    t.after(() => srv.close());
    const port = srv.port;
    // One message from the sender first, so the step is shown to be live; the docs' example URL,
    // which renders to the API's root for an event without resource_uri.
    const message = { Type: 'container', Action: 'start', from: 'nginx:1.25', Actor: { Attributes: { name: 'web' } }, resource_uri: '/api/v1/service/42/' };
    srv.onClient = (ws) => ws.send(JSON.stringify(message));
    const enrich = `    enrich:
      - name: resource
        url: "${api.url}{{ event.data.resource_uri }}"
        headers: {Authorization: "ApiKey enrich-secret-value"}
        cache_ttl: 0s
`;
    const h = await startHerald(t, config(port, { extra: enrich, downAfter: '300ms', sink: sink.url }));
    await eventually(async () => (await storedEvents(h)).length === 1, 5000, 'the sender message stored');
    const [fromSender] = await storedEvents(h);
    assert.deepEqual(((fromSender?.data ?? {}) as { enriched?: unknown }).enriched, { resource: { name: 'web', state: 'Running' } });
    assert.deepEqual(
      api.requests.map((r) => r.url),
      ['/api/v1/service/42/'],
    );

    await srv.close();
    await eventually(async () => (await downEvents(h, 'docker')).length === 1, 5000, 'source-down firing');
    srv = await startWsServer({ port });
    await eventually(async () => (await downEvents(h, 'docker')).length === 2, 5000, 'resolved after reconnect');
    await eventually(
      () => sink.requests.filter((r) => JSON.parse(r.body).event.key === 'source-down:docker').length === 2,
      5000,
      'firing and resolve delivered',
    );
    for (const e of await downEvents(h, 'docker')) {
      assert.equal(e.data, undefined, `${String(e.status)}: no enrichment data and no enrichment error`);
    }
    assert.deepEqual(
      api.requests.map((r) => r.url),
      ['/api/v1/service/42/'],
      'the outage and its end made no lookup (no GET / with the API key)',
    );
  });

  it('stop() closes the socket, cancels timers and never reconnects', async (t) => {
    const srv = await startWsServer();
    t.after(() => srv.close());
    const h = await startHerald(t, config(srv.port, { downAfter: '5s', reconnect: '{initial: 20ms, max: 40ms}' }));
    await eventually(() => srv.clients.size === 1, 5000, 'connected');
    await h.stop();
    await eventually(() => srv.closes.length === 1, 2000, 'server saw the close');
    assert.deepEqual(srv.closes, [1000], 'a clean close frame');
    await sleep(400);
    assert.equal(srv.upgrades.length, 1, 'no reconnect after stop');
    assert.ok(logs(h, 'stream disconnected; reconnecting').length === 0);

    // Stopping while the server is down and the source is waiting to retry.
    const srv2 = await startWsServer();
    t.after(() => srv2.close());
    const port = srv2.port;
    const h2 = await startHerald(t, config(port, { downAfter: '5s', reconnect: '{initial: 20ms, max: 40ms}' }));
    await eventually(() => srv2.clients.size === 1, 5000, 'connected');
    await srv2.close();
    await eventually(() => logs(h2, 'stream connection failed; retrying').length >= 2, 3000, 'retrying');
    await h2.stop();
    const srv3 = await startWsServer({ port });
    t.after(() => srv3.close());
    await sleep(400);
    assert.equal(srv3.connections, 0, 'no attempt after stop');
    assert.deepEqual(logs(h2, 'stream is down'), [], 'no source-down after stop');
  });

  it('refuses a message above max_message (counted), reconnects and goes on', async (t) => {
    const srv = await startWsServer();
    t.after(() => srv.close());
    srv.onClient = (ws) => {
      if (srv.upgrades.length === 1) ws.send(JSON.stringify({ Type: 'container', pad: 'x'.repeat(2000) }));
      else ws.send(DOCKER_LINES[1] as string);
    };
    const h = await startHerald(t, config(srv.port, { extra: '    max_message: 1KiB', downAfter: '5s' }));
    await eventually(async () => (await storedEvents(h)).some((e) => e.title === 'test start'), 5000, 'the next message after reconnecting');
    assert.equal(srv.upgrades.length, 2);
    assert.deepEqual(srv.closes, [1009], 'message too big');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="docker",reason="payload_too_large"\} 1\n/);
    assert.equal((await storedEvents(h)).length, 1);
  });

  it('speaks wss:// through the guard, trusting the configured CA and refusing an unknown one', async (t) => {
    const cert = selfSignedCert('IP:127.0.0.1');
    const srv = await startWsServer({ tls: cert });
    t.after(() => srv.close());
    srv.onClient = (ws) => ws.send(DOCKER_LINES[1] as string);
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
sources:
  - name: secure
    type: websocket
    url: wss://127.0.0.1:${srv.port}/events
    ca: ${JSON.stringify(cert.cert.toString('utf8'))}
${MAPPING}
  - name: untrusted
    type: websocket
    url: wss://127.0.0.1:${srv.port}/events
    down_after: 500ms
    reconnect: {initial: 100ms, max: 200ms}
`,
    );
    await eventually(async () => (await storedEvents(h)).some((e) => e.title === 'test start'), 5000, 'event over wss');
    await eventually(async () => (await downEvents(h, 'untrusted')).length === 1, 3000, 'untrusted down');
    const [down] = await downEvents(h, 'untrusted');
    assert.match(String(down?.title), /self[- ]signed certificate/);
    assert.deepEqual(await downEvents(h, 'secure'), []);
    assert.equal(srv.upgrades.length, 1, 'only the trusting source completed a handshake');
  });

  it('accepts the documented examples and refuses bad configs with precise paths', () => {
    const doc = readFileSync(new URL('../../../docs/sources/websocket.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    assert.equal(blocks.length, 2);
    const env = { DOCKER_STREAM_TOKEN: TOKEN, PAGERDUTY_ROUTING_KEY: 'R0123456789abcdef0123456789abcde', STREAM_TOKEN: 'abcdef0123456789' };
    for (const yaml of blocks) {
      const c = parseConfig(yaml, registry(), env);
      assert.equal(c.sources[0]?.type, 'websocket');
      assert.equal(c.sources[0]?.config.ping_interval, '30s', 'defaults applied');
    }
    const bad: [string, RegExp][] = [
      ['url: http://x.example/events', /sources\[0\]\.url/],
      ['url: ws://x.example/e#frag', /url: must not have a #fragment/],
      ['url: ws://x.example/e\n    headers: {Sec-WebSocket-Key: abc}', /headers\.Sec-WebSocket-Key: set by the WebSocket handshake/],
      ['url: ws://x.example/e\n    headers: {"bad name": x}', /headers\.bad name: not a valid header name/],
      [`url: ws://x.example/e\n    token: ${TOKEN}\n    headers: {Authorization: Basic abc}`, /give either token or an Authorization header/],
      ['url: ws://x.example/e\n    reconnect: {initial: 10s, max: 1s}', /reconnect\.max: must not be below reconnect\.initial/],
      ['url: ws://x.example/e\n    ca: "-----BEGIN CERTIFICATE-----"', /ca: only used with wss/],
      ['url: ws://x.example/e\n    ping_interval: soon', /ping_interval/],
      ['url: ws://x.example/e\n    mapping: {text: x}', /mapping/],
    ];
    for (const [entry, message] of bad) {
      assert.throws(() => parseConfig(`sources:\n  - name: s\n    type: websocket\n    ${entry}\n`, registry(), {}), message, entry);
    }
  });
});
