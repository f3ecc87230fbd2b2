import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import { connectAsync as mqttConnect } from 'mqtt';
import nodemailer from 'nodemailer';
import { WebSocketServer } from 'ws';
import { builtinSources } from '../src/sources/index.js';
import { drain, eventually, startHerald, startSink, type TestHerald } from './helpers/harness.js';

const fixture = (source: string, name: string) => readFileSync(new URL(`../src/sources/${source}/fixtures/${name}`, import.meta.url), 'utf8');
const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');
const TOKEN = 'identity-token-0123456789abcdef';
const SECRET = 'identity-secret-0123456789abcdef';

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

/** A free port nobody listens on (TCP, and the same number for UDP is almost surely free too). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A UDP socket that swallows DNS queries, so a dns-check against it times out: a failure. */
async function silentUdp(t: TestContext): Promise<number> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => sock.close(() => r())));
  return sock.address().port;
}

async function stored(h: TestHerald, source: string): Promise<{ source: string; source_type?: string; labels: Record<string, string> }[]> {
  return (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events?source=${encodeURIComponent(source)}&limit=50` })).json().events;
}

interface Row {
  /** The source entry's YAML (flow style), without name and type. */
  config: string;
  /** Makes the source produce at least one event from real input. */
  send(h: TestHerald, name: string): Promise<void>;
}

async function hook(h: TestHerald, name: string, body: string, headers: Record<string, string>): Promise<void> {
  const res = await h.herald.server.inject({
    method: 'POST',
    url: `/hooks/${name}`,
    payload: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  assert.equal(res.statusCode, 202, `${name}: ${res.body}`);
}

describe('a source is routed by its configured name; source_type is its type (every source type)', () => {
  it('two github sources with their own names and secrets: each event reaches only its own route, source_type=github reaches both', async (t) => {
    const acme = await startSink();
    const globex = await startSink();
    const everyGit = await startSink();
    t.after(() => Promise.all([acme.close(), globex.close(), everyGit.close()]));
    const secrets = { 'gh-acme': 'acme-webhook-secret-0123', 'gh-globex': 'globex-webhook-secret-4567' };
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - {name: gh-acme, type: github, secret: ${secrets['gh-acme']}}
  - {name: gh-globex, type: github, secret: ${secrets['gh-globex']}}
receivers:
  - {name: acme-chat, type: webhook, url: "${acme.url}/hook"}
  - {name: globex-chat, type: webhook, url: "${globex.url}/hook"}
  - {name: git-log, type: webhook, url: "${everyGit.url}/hook"}
routes:
  - {match: ['source="gh-acme"'], receivers: [acme-chat], continue: true}
  - {match: ['source="gh-globex"'], receivers: [globex-chat], continue: true}
  - {match: ['source_type="github"', 'type="push"'], receivers: [git-log]}
`,
    );
    const body = fixture('github', 'push.json');
    const post = (name: keyof typeof secrets, secret: string, delivery: string) =>
      h.herald.server.inject({
        method: 'POST',
        url: `/hooks/${name}`,
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${hmac(secret, body)}`,
        },
      });
    assert.equal((await post('gh-acme', secrets['gh-acme'], 'd-1')).statusCode, 202);
    assert.equal((await post('gh-globex', secrets['gh-globex'], 'd-2')).statusCode, 202);
    assert.equal((await post('gh-globex', secrets['gh-acme'], 'd-3')).statusCode, 401, "one org's secret does not open the other's source");
    await eventually(() => acme.requests.length === 1 && globex.requests.length === 1 && everyGit.requests.length === 2, 5000, 'delivered');
    const event = (r: { body: string }) => JSON.parse(r.body).event as { source: string; source_type: string; labels: Record<string, string> };
    assert.deepEqual(
      acme.requests.map((r) => [event(r).source, event(r).source_type]),
      [['gh-acme', 'github']],
    );
    assert.equal(event(acme.requests[0] as { body: string }).labels.source_type, undefined, "the sender's labels are left alone");
    assert.deepEqual(
      globex.requests.map((r) => [event(r).source, event(r).source_type]),
      [['gh-globex', 'github']],
    );
    assert.deepEqual(everyGit.requests.map((r) => event(r).source).sort(), ['gh-acme', 'gh-globex']);
    await drain(h);
    assert.equal(acme.requests.length + globex.requests.length, 2, 'each event reached only its own route');
  });

  it('every source type: source is the configured name, source_type the type; the API stamps api and prometheus', async (t) => {
    const brokers = { mqtt: await reachable(1883), amqp: await reachable(5672), nats: await reachable(4222) };
    for (const [name, up] of Object.entries(brokers)) {
      if (!up && process.env.CI === 'true') assert.fail(`${name} broker not reachable on 127.0.0.1 (CI=true: it must run)`);
      if (!up) t.diagnostic(`${name} broker not reachable: its row is not run`);
    }
    const id = randomUUID().slice(0, 8);
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    t.after(
      () =>
        new Promise<void>((r) => {
          // Herald's stream client may still be connected: drop it, or closing waits for it.
          for (const c of wss.clients) c.terminate();
          wss.close(() => r());
        }),
    );
    wss.on('connection', (ws) => ws.send(JSON.stringify({ title: 'from the stream' })));
    const wsPort = (wss.address() as { port: number }).port;
    const failing = await startSink();
    failing.respond = (_req, res) => {
      res.writeHead(500).end('down');
    };
    t.after(() => failing.close());
    const tcpPort = await closedPort();
    const dnsPort = await silentUdp(t);
    const check = 'interval: 30s, timeout: 300ms, failures_before_alert: 1';
    const sentrySign = (body: string) => ({
      'sentry-hook-signature': hmac(SECRET, body),
      'sentry-hook-timestamp': String(Math.floor(Date.now() / 1000)),
      'sentry-hook-resource': 'issue',
    });
    const table: Record<string, Row> = {
      generic: { config: `token: ${TOKEN}`, send: (h, n) => hook(h, n, '{"title":"generic"}', { authorization: `Bearer ${TOKEN}` }) },
      github: {
        config: `secret: ${SECRET}`,
        send: (h, n) => {
          const body = fixture('github', 'push.json');
          return hook(h, n, body, { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(SECRET, body)}` });
        },
      },
      gitlab: {
        config: `token: ${TOKEN}`,
        send: (h, n) => hook(h, n, fixture('gitlab', 'push.json'), { 'x-gitlab-token': TOKEN, 'x-gitlab-event': 'Push Hook' }),
      },
      bitbucket: {
        config: `secret: ${SECRET}`,
        send: (h, n) => {
          const body = fixture('bitbucket', 'repo-push.json');
          return hook(h, n, body, { 'x-event-key': 'repo:push', 'x-hub-signature': `sha256=${hmac(SECRET, body)}` });
        },
      },
      sentry: {
        config: `client_secret: ${SECRET}`,
        send: (h, n) => {
          const body = fixture('sentry', 'issue.created.json');
          return hook(h, n, body, sentrySign(body));
        },
      },
      alertmanager: {
        config: `token: ${TOKEN}`,
        send: (h, n) => hook(h, n, fixture('alertmanager', 'webhook.firing.json'), { authorization: `Bearer ${TOKEN}` }),
      },
      grafana: { config: `token: ${TOKEN}`, send: (h, n) => hook(h, n, fixture('grafana', 'firing.json'), { authorization: `Bearer ${TOKEN}` }) },
      datadog: { config: `token: ${TOKEN}`, send: (h, n) => hook(h, n, fixture('datadog', 'template.triggered.json'), { authorization: `Bearer ${TOKEN}` }) },
      smtp: {
        config: 'listen: 127.0.0.1:0, domains: [herald.test]',
        send: async (h, n) => {
          // The port it bound (listen: …:0), from its start-up log line.
          const line = h.logLines
            .map((l) => JSON.parse(l) as { msg?: string; source?: string; port?: number })
            .find((l) => l.msg === 'smtp listening' && l.source === n);
          const p = line?.port;
          assert.ok(p, 'the smtp source logged its port');
          await nodemailer
            .createTransport({ host: '127.0.0.1', port: p, secure: false, ignoreTLS: true, connectionTimeout: 5000 })
            .sendMail({ from: 'ci@example.test', to: 'ops@herald.test', subject: 'Build failed', text: 'see log' });
        },
      },
      websocket: { config: `url: "ws://127.0.0.1:${wsPort}/"`, send: async () => {} },
      mqtt: {
        config: `url: "mqtt://127.0.0.1:1883", topics: ["herald-identity/${id}/#"], client_id: herald-identity-${id}`,
        send: async () => {
          const c = await mqttConnect('mqtt://127.0.0.1:1883', { clientId: `herald-identity-pub-${id}`, reconnectPeriod: 0 });
          await c.publishAsync(`herald-identity/${id}/x`, JSON.stringify({ title: 'from mqtt' }), { qos: 1 });
          await c.endAsync();
        },
      },
      amqp: {
        config: `url: "amqp://guest:guest@127.0.0.1:5672", queue: herald-identity-${id}`,
        send: async () => {
          const c = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
          const ch = await c.createChannel();
          ch.sendToQueue(`herald-identity-${id}`, Buffer.from(JSON.stringify({ title: 'from amqp' })));
          await ch.close();
          t.after(async () => {
            const admin = await amqpConnect('amqp://guest:guest@127.0.0.1:5672');
            await (await admin.createChannel()).deleteQueue(`herald-identity-${id}`);
            await admin.close();
          });
          await c.close();
        },
      },
      nats: {
        config: `servers: ["nats://127.0.0.1:4222"], subject: "herald-identity.${id}.*"`,
        send: async () => {
          const nc = await natsConnect({ servers: ['nats://127.0.0.1:4222'] });
          nc.publish(`herald-identity.${id}.x`, JSON.stringify({ title: 'from nats' }));
          await nc.drain();
        },
      },
      'http-check': { config: `url: "${failing.url}/health", ${check}`, send: async () => {} },
      'tcp-check': { config: `host: 127.0.0.1, port: ${tcpPort}, ${check}`, send: async () => {} },
      'dns-check': { config: `hostname: app.test, server: "127.0.0.1:${dnsPort}", ${check}`, send: async () => {} },
    };
    assert.deepEqual(Object.keys(table).sort(), builtinSources.map((d) => d.type).sort(), 'a row for every built-in source type');

    const rows = Object.entries(table).filter(([type]) => !(type in brokers) || brokers[type as keyof typeof brokers]);
    // Names unlike their types, so a source that put its type in `source` is caught.
    const name = (type: string) => `my-${type}-${id}`;
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
sources:
${rows.map(([type, row]) => `  - {name: ${name(type)}, type: ${type}, ${row.config}}`).join('\n')}
`,
    );
    t.after(async () => {
      if (!brokers.mqtt) return;
      // The persistent session the mqtt source left on the broker.
      const c = await mqttConnect('mqtt://127.0.0.1:1883', {
        clientId: `herald-identity-${id}`,
        clean: true,
        reconnectPeriod: 0,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 0 },
      });
      await c.endAsync();
    });
    for (const [type, row] of rows) await row.send(h, name(type));
    for (const [type] of rows) {
      await eventually(async () => (await stored(h, name(type))).length > 0, 8000, `an event from the ${type} source`);
      for (const e of await stored(h, name(type))) {
        assert.equal(e.source, name(type), `${type}: source is the configured name`);
        assert.equal(e.source_type, type, `${type}: source_type is the type`);
      }
    }

    const api = await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'by hand', source: 'ci' },
    });
    assert.equal(api.statusCode, 202);
    const [byHand] = await stored(h, 'ci');
    assert.equal(byHand?.source_type, 'api');
    const claimed = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'forged', source: 'ci', source_type: 'github' } });
    assert.equal(claimed.statusCode, 400, 'only Herald says what an event came through');
    assert.match(claimed.json().detail, /source_type/);
    assert.equal((await stored(h, 'ci')).length, 1, 'nothing stored');
    const prom = await h.herald.server.inject({ method: 'POST', url: '/api/v2/alerts', payload: [{ labels: { alertname: 'Down', job: 'web' } }] });
    assert.equal(prom.statusCode, 200);
    const [alert] = await stored(h, 'prometheus');
    assert.equal(alert?.source_type, 'prometheus');
    assert.equal(alert?.labels.alertname, 'Down');
  });
});
