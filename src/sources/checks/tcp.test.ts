import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { eventually, startHerald } from '../../../test/helpers/harness.js';
import { checkInstance, PacedClock, pause, storedEvents } from './test-helpers.js';

type T = Parameters<typeof startHerald>[0];

/** A TCP server on 127.0.0.1 that counts connections; `port` 0 picks a free one. */
async function tcpServer(t: T, port = 0): Promise<{ server: Server; port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const close = () => new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
  t.after(close);
  return { server, port: (server.address() as { port: number }).port, connections: () => connections, close };
}

async function closedPort(t: T): Promise<number> {
  const s = await tcpServer(t);
  await s.close();
  return s.port;
}

describe('tcp-check', () => {
  it('succeeds against a listening port, fails against a closed one, and resolves when it listens again', async (t) => {
    const up = await tcpServer(t);
    const downPort = await closedPort(t);
    const flaky = await tcpServer(t);
    const common = 'interval: 30s, timeout: 2s, failures_before_alert: 2';
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
sources:
  - {name: up, type: tcp-check, host: 127.0.0.1, port: ${up.port}, ${common}}
  - {name: down, type: tcp-check, host: 127.0.0.1, port: ${downPort}, ${common}, severity: warning}
  - {name: flaky, type: tcp-check, host: 127.0.0.1, port: ${flaky.port}, ${common}}
`,
      { clock: new PacedClock() },
    );
    await eventually(async () => (await storedEvents(h, 'down')).length > 0, 5000, 'down fired');
    const [down] = await storedEvents(h, 'down');
    assert.equal(down?.title, `down is failing: TCP 127.0.0.1:${downPort} failed: ECONNREFUSED`);
    assert.equal(down?.severity, 'warning');
    assert.deepEqual(down?.labels, { check: 'down', check_type: 'tcp' });
    assert.equal(down?.key, 'check:down');
    assert.equal(down?.url, undefined);

    await eventually(() => up.connections() >= 3 && checkInstance(h, 'flaky').inspect().history.length >= 2, 5000, 'runs');
    const ok = checkInstance(h, 'up').inspect();
    assert.equal(ok.state, 'ok');
    assert.equal(ok.type, 'tcp-check');
    assert.match(ok.last_result?.message ?? '', new RegExp(`^connected to 127\\.0\\.0\\.1:${up.port} in \\d+ ms$`));

    await flaky.close();
    await eventually(async () => (await storedEvents(h, 'flaky')).length === 1, 5000, 'flaky fired');
    await tcpServer(t, flaky.port);
    await eventually(async () => (await storedEvents(h, 'flaky')).length === 2, 5000, 'flaky resolved');
    const [firing, resolved] = await storedEvents(h, 'flaky');
    assert.deepEqual([firing?.status, resolved?.status], ['firing', 'resolved']);
    assert.equal(firing?.key, resolved?.key);
    assert.match(resolved?.title ?? '', /^flaky recovered: connected to 127\.0\.0\.1:\d+ in \d+ ms$/);
    assert.equal((await storedEvents(h, 'up')).length, 0);
    assert.equal((await storedEvents(h, 'down')).length, 1, 'no repeat while failing');

    await h.stop();
    // A connection begun just before stop() may still reach the server; after that, none.
    await pause(100);
    const after = up.connections();
    await pause(200);
    assert.equal(up.connections(), after, 'no run after stop()');
  });

  it("never enriches a state change: it is Herald's own event, so the lookup API sees no request", async (t) => {
    const downPort = await closedPort(t);
    let lookups = 0;
    const api = createHttpServer((_req, res) => {
      lookups++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"owner":"team-a"}');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((r) => api.close(() => r())));
    const apiPort = (api.address() as { port: number }).port;
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
sources:
  - name: down
    type: tcp-check
    host: 127.0.0.1
    port: ${downPort}
    interval: 30s
    timeout: 2s
    failures_before_alert: 1
    enrich: [{name: owner, url: "http://127.0.0.1:${apiPort}/owners/{{ event.labels.check }}", headers: {Authorization: "ApiKey k"}}]
`,
      { clock: new PacedClock() },
    );
    await eventually(async () => (await storedEvents(h, 'down')).length > 0, 5000, 'down fired');
    const [down] = await storedEvents(h, 'down');
    assert.equal(down?.status, 'firing');
    const data = (down?.data ?? {}) as { enriched?: unknown; enrichment_errors?: unknown };
    assert.equal(data.enriched, undefined);
    assert.equal(data.enrichment_errors, undefined);
    assert.equal(lookups, 0, 'no enrichment lookup for a check state change');
  });

  it('connects through the outbound guard: without outbound.allow the port sees no connection', async (t) => {
    const up = await tcpServer(t);
    const h = await startHerald(t, `sources:\n  - {name: guarded, type: tcp-check, host: 127.0.0.1, port: ${up.port}, failures_before_alert: 1}\n`, {
      clock: new PacedClock(),
    });
    await eventually(async () => (await storedEvents(h, 'guarded')).length > 0, 5000, 'fired');
    const [event] = await storedEvents(h, 'guarded');
    assert.match(event?.title ?? '', /^guarded is failing: refused to connect to 127\.0\.0\.1 \(127\.0\.0\.1\): loopback .*outbound\.allow/);
    assert.equal(up.connections(), 0);
  });
});
