import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { createServer as createTlsServer } from 'node:tls';
import { deliveries, eventually, selfSignedCert, startHerald } from '../../../test/helpers/harness.js';
import { groupEvent, type Incident } from '../../core/incidents.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import { DEFAULT_TEXT } from './index.js';

interface LineServer {
  port: number;
  lines: string[];
  connections: number;
  close(): Promise<void>;
}

async function lineServer(make: (onSocket: (s: import('node:net').Socket) => void) => Server, opts: { keepOpen?: boolean } = {}): Promise<LineServer> {
  const ls: LineServer = { port: 0, lines: [], connections: 0, close: async () => {} };
  const open = new Set<import('node:net').Socket>();
  const server = make((socket) => {
    ls.connections++;
    let buf = '';
    socket.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      let i = buf.indexOf('\n');
      while (i >= 0) {
        ls.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
      }
    });
    // keepOpen: a listener that reads but never closes its side (as some log shippers do).
    if (!opts.keepOpen) socket.on('end', () => socket.end());
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ls.port = (server.address() as { port: number }).port;
  ls.close = () =>
    new Promise<void>((r) => {
      for (const s of open) s.destroy();
      server.close(() => r());
    });
  return ls;
}

const cfg = (receiver: string, allow = '["127.0.0.0/8"]', delivery = '{poll_interval: 20ms}') => `
outbound: {allow: ${allow}}
delivery: ${delivery}
receivers:
  - ${receiver}
routes: [{receivers: [sock]}]
`;

describe('tcp receiver', () => {
  it('the default text line states a status once: [FIRING] title, but a group title as it is', () => {
    const line = createTemplateEngine().compile(DEFAULT_TEXT, { name: 't', escape: 'none' });
    const one = { id: 'e', title: 'db down', status: 'firing', labels: {}, received_at: '2026-01-01T00:00:00Z', url: 'https://x.test/1' };
    assert.equal(line.render({ event: one }), '[FIRING] db down https://x.test/1');
    const member = (id: string): Incident =>
      ({
        id,
        route: 'ops',
        key: id,
        groupKey: 'g',
        status: 'firing',
        title: id,
        labels: { svc: 'api' },
        timesSeen: 1,
        firstSeen: 0,
        lastSeen: 0,
        lastEventId: 'e',
        resolvedAt: null,
        acknowledgedAt: null,
        acknowledgedBy: null,
        notified: null,
        repeatAt: null,
        endsAt: null,
        severity: null,
      }) as Incident;
    const group = { ...groupEvent('ops', 'g', [member('a'), member('b')]), id: 'g1', labels: { svc: 'api' }, received_at: '2026-01-01T00:00:00Z' };
    assert.equal(line.render({ event: group }), '[FIRING:2] svc=api');
  });

  it('sends one newline-delimited JSON frame per notification', async (t) => {
    const srv = await lineServer((on) => createServer(on));
    t.after(() => srv.close());
    const h = await startHerald(t, cfg(`{name: sock, type: tcp, host: 127.0.0.1, port: ${srv.port}}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: [{ title: 'a', text: 'multi\nline' }, { title: 'b' }] });
    await eventually(() => srv.lines.length === 2, 5000, 'two frames');
    const frames = srv.lines.map((l) => JSON.parse(l));
    assert.deepEqual(frames.map((f) => f.event.title).sort(), ['a', 'b']);
    assert.equal(frames.find((f) => f.event.title === 'a').event.text, 'multi\nline');
    assert.equal(frames[0].receiver, 'sock');
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'succeeded'), 5000, 'succeeded');
  });

  it('a flushed write is a delivery: a peer that never closes its side gets each event once', async (t) => {
    // allowHalfOpen: Node would otherwise end the server's side as soon as ours ends.
    const srv = await lineServer((on) => createServer({ allowHalfOpen: true }, on), { keepOpen: true });
    t.after(() => srv.close());
    // A short timeout: waiting for the peer's close would turn every attempt into a timeout and a retry.
    const h = await startHerald(
      t,
      cfg(`{name: sock, type: tcp, host: 127.0.0.1, port: ${srv.port}, timeout: 300ms}`, undefined, '{poll_interval: 20ms, retry_schedule: [50ms]}'),
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'once' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'succeeded on the first attempt');
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 1);
    // Delivered means handed to the kernel: the listener may read it a moment later.
    await eventually(() => srv.lines.length > 0, 5000, 'the listener read the frame');
    assert.deepEqual(
      srv.lines.map((l) => JSON.parse(l).event.title),
      ['once'],
    );
    assert.equal(srv.connections, 1);
  });

  it('text format renders the template onto one line', async (t) => {
    const srv = await lineServer((on) => createServer(on));
    t.after(() => srv.close());
    const h = await startHerald(
      t,
      cfg(`{name: sock, type: tcp, host: 127.0.0.1, port: ${srv.port}, format: text, text_template: "{{ event.title }} / {{ event.text }}"}`),
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'disk', text: 'line1\r\nline2' } });
    await eventually(() => srv.lines.length === 1, 5000, 'frame');
    assert.equal(srv.lines[0], 'disk / line1 line2');
  });

  it('speaks TLS with a configured CA', async (t) => {
    const { key, cert } = selfSignedCert('DNS:localhost');
    const srv = await lineServer((on) => createTlsServer({ key, cert }, on));
    t.after(() => srv.close());
    const h = await startHerald(
      t,
      cfg(`{name: sock, type: tcp, host: 127.0.0.1, port: ${srv.port}, tls: true, tls_server_name: localhost, tls_ca: "\${CA}"}`),
      { env: { CA: cert.toString() } },
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'secure' } });
    await eventually(() => srv.lines.length === 1, 5000, 'frame over TLS');
    assert.equal(JSON.parse(srv.lines[0] ?? '{}').event.title, 'secure');
  });

  it('is refused by the SSRF guard before connecting when not allowed', async (t) => {
    const srv = await lineServer((on) => createServer(on));
    t.after(() => srv.close());
    const h = await startHerald(t, cfg(`{name: sock, type: tcp, host: 127.0.0.1, port: ${srv.port}}`, '[]'));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /refused to connect to 127\.0\.0\.1 \(127\.0\.0\.1\): loopback/);
    assert.equal(srv.connections, 0);
  });

  it('a closed port is a retryable failure', async (t) => {
    const srv = await lineServer((on) => createServer(on));
    const port = srv.port;
    await srv.close();
    const h = await startHerald(t, cfg(`{name: sock, type: tcp, host: 127.0.0.1, port: ${port}}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'failed', 5000, 'failed, will retry');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /TCP 127\.0\.0\.1:\d+ failed: ECONNREFUSED/);
  });
});
