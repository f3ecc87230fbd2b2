// The plugin's own tests: the SDK conformance kit, plus what ntfy expects.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { createTemplateEngine } from '../../src/templates/liquid-engine.js';
import ntfy from './index.js';

const templates = createTemplateEngine();

receiverConformance(ntfy, {
  templates,
  config: (base) => ({ server: base, topic: 'alerts', token: 'tk_secret_token_123' }),
  secrets: ['tk_secret_token_123'],
  invalidConfigs: [{}, { topic: 'has space' }, { topic: 'ok', server: 'ftp://x' }, { topic: 'ok', extra: 1 }],
});

it('publishes JSON to the server root with topic, title, priority, tags and click', async (t) => {
  const got: { url?: string; headers: Record<string, unknown>; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      got.push({ url: req.url, headers: req.headers, body: JSON.parse(raw) });
      res.end('{"id":"abc","event":"message"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const instance = ntfy.create({ server: base, topic: 'alerts', token: 'tk_1' }, { name: 'n', log: console as never, templates, clock: systemClock });
  const ctx = {
    http: loopbackHttpClient(),
    net: loopbackTcpClient(),
    state: memoryState(),
    log: console as never,
    clock: systemClock,
    attempt: 1,
    signal: new AbortController().signal,
  };
  await instance.send(
    {
      id: 'd1',
      receiver: 'n',
      people: [],
      event: {
        id: 'e1',
        title: 'db down',
        text: 'ping failed',
        status: 'firing',
        severity: 'critical',
        url: 'https://x.example/1',
        labels: {},
        received_at: '2026-01-01T00:00:00Z',
      },
    },
    ctx,
  );
  // A firing event without severity (a mail "[Bamboo] … failed") is an error: priority 4.
  await instance.send(
    { id: 'd2', receiver: 'n', people: [], event: { id: 'e2', title: 'build failed', status: 'firing', labels: {}, received_at: '2026-01-01T00:00:00Z' } },
    ctx,
  );
  assert.equal(got[1]?.body.priority, 4);
  assert.equal(got[0]?.url, '/');
  assert.equal(got[0]?.headers.authorization, 'Bearer tk_1');
  assert.deepEqual(got[0]?.body, {
    topic: 'alerts',
    title: 'db down',
    message: 'ping failed',
    priority: 5,
    tags: ['firing', 'critical'],
    click: 'https://x.example/1',
  });
});
