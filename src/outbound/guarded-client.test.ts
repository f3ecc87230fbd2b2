import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DeliveryError } from '@herald/sdk';
import { buildConnector } from 'undici';
import { createGuardedClient } from './guarded-client.js';

let server: Server;
let port = 0;
let connections = 0;
let requests: string[] = [];
let handler: (url: string, res: import('node:http').ServerResponse) => void = (_u, res) => res.end('ok');

before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req.url ?? '', res);
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(
  () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
);

/**
 * A connector that records and refuses every attempt. Non-loopback cases use
 * it so that, should the guard ever break, the test fails on the recorded
 * attempt and no packet leaves the machine.
 */
function tripwire() {
  const attempts: string[] = [];
  const connector = ((opts: { hostname: string }, cb: (err: Error | null, socket: null) => void) => {
    attempts.push(opts.hostname);
    cb(new Error('tripwire: a connection was attempted'), null);
  }) as unknown as NonNullable<Parameters<typeof createGuardedClient>[0]>['connector'];
  return { attempts, connector };
}

async function refusal(p: Promise<unknown>): Promise<DeliveryError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DeliveryError, `expected a DeliveryError, got ${String(err)}`);
    return err;
  }
  assert.fail('request was not refused');
}

describe('guarded client: refusals happen before any connection', () => {
  // Loopback forms are live targets (a listener is there) and must never reach it.
  const loopbackForms = [
    (p: number) => `http://127.0.0.1:${p}/`,
    (p: number) => `http://localhost:${p}/`,
    (p: number) => `http://2130706433:${p}/`,
    (p: number) => `http://0x7f000001:${p}/`,
    (p: number) => `http://0177.0.0.1:${p}/`,
    (p: number) => `http://0x7f.0.0.1:${p}/`,
    (p: number) => `http://127.1:${p}/`,
    (p: number) => `http://[::ffff:127.0.0.1]:${p}/`,
    (p: number) => `http://[::ffff:7f00:1]:${p}/`,
    (p: number) => `http://[::1]:${p}/`,
    (p: number) => `http://0.0.0.0:${p}/`,
    (p: number) => `http://[::]:${p}/`,
  ];
  for (const form of loopbackForms) {
    it(`refuses ${form(0).replace(':0/', ':PORT/')}`, async () => {
      const client = createGuardedClient({ timeoutMs: 2000 });
      const before = connections;
      const err = await refusal(client.request({ url: form(port), body: 'x' }));
      await client.close();
      assert.equal(err.reason, 'blocked');
      assert.equal(err.retryable, false);
      assert.match(err.message, /refused to connect to .* \(.*\): .* is not allowed; add its CIDR to outbound\.allow/);
      assert.equal(connections, before, 'no connection reached the listener');
    });
  }

  // Non-loopback literals: refused before any socket exists, so no packet leaves.
  for (const url of [
    'http://10.0.0.1/',
    'http://192.168.0.1/',
    'http://172.16.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://[fd00:ec2::254]/',
  ]) {
    it(`refuses ${url}`, async () => {
      const wire = tripwire();
      const client = createGuardedClient({ timeoutMs: 500, connector: wire.connector });
      const err = await refusal(client.request({ url }));
      await client.close();
      assert.equal(err.reason, 'blocked');
      assert.deepEqual(wire.attempts, [], 'no connection was attempted');
    });
  }

  it('refuses a name that resolves to a private address, and one with any private address among several', async () => {
    for (const addrs of [
      [{ address: '10.0.0.5', family: 4 }],
      [
        { address: '93.184.216.34', family: 4 },
        { address: '192.168.7.7', family: 4 },
      ],
    ] as LookupAddress[][]) {
      let looked = 0;
      const lookup = ((_h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) => {
        looked++;
        cb(null, addrs);
      }) as unknown as typeof import('node:dns').lookup;
      const wire = tripwire();
      const client = createGuardedClient({ timeoutMs: 500, lookup, connector: wire.connector });
      const err = await refusal(client.request({ url: 'http://internal.example.test/' }));
      await client.close();
      assert.deepEqual(wire.attempts, [], 'no connection was attempted');
      assert.equal(err.reason, 'blocked');
      assert.match(err.message, /internal\.example\.test \((10\.0\.0\.5|192\.168\.7\.7)\): private/);
      assert.equal(looked, 1);
    }
  });

  it('re-checks the connected peer: a socket that lands on a forbidden address is closed before any request', async () => {
    // DNS answers 127.0.0.2, which outbound.allow permits; the connector then lands on
    // 127.0.0.1 (the test server), as a rebinding resolver or a redirecting middlebox
    // would. Only the check of the socket's remote address after connect can catch it.
    const real = buildConnector({ timeout: 2000 });
    const dialled: string[] = [];
    const connector = ((opts: Parameters<typeof real>[0], cb: Parameters<typeof real>[1]) => {
      dialled.push(opts.hostname);
      real({ ...opts, hostname: '127.0.0.1' }, cb);
    }) as typeof real;
    const lookup = ((_h: string, _o: unknown, cb: (e: null, a: LookupAddress[]) => void) =>
      cb(null, [{ address: '127.0.0.2', family: 4 }])) as unknown as typeof import('node:dns').lookup;
    const client = createGuardedClient({ allow: ['127.0.0.2/32'], timeoutMs: 2000, lookup, connector });
    const beforeConnections = connections;
    const beforeRequests = requests.length;
    const err = await refusal(client.request({ url: `http://rebound.example.test:${port}/secret` }));
    await client.close();
    // The server's accept event may trail the client's connect by a turn of the loop.
    for (let i = 0; i < 1000 && connections === beforeConnections; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(dialled, ['127.0.0.2'], 'the checked address was the one dialled');
    assert.equal(connections - beforeConnections, 1, 'the socket did connect: the refusal came after connect');
    assert.equal(requests.length, beforeRequests, 'no HTTP request reached the server');
    assert.equal(err.reason, 'blocked');
    assert.equal(err.retryable, false);
    assert.equal(
      err.message,
      'refused to connect to rebound.example.test (127.0.0.1): loopback (127.0.0.0/8) is not allowed; add its CIDR to outbound.allow to permit it',
    );
  });

  it('keeps userinfo, path and query out of the error', async () => {
    const wire = tripwire();
    const client = createGuardedClient({ connector: wire.connector });
    const err = await refusal(client.request({ url: 'http://user:pass@10.0.0.1/secret-path?token=abc' }));
    await client.close();
    assert.deepEqual(wire.attempts, []);
    for (const s of ['pass', 'secret-path', 'abc']) assert.ok(!err.message.includes(s), `error mentions ${s}`);
  });

  it('refuses other schemes', async () => {
    const client = createGuardedClient();
    const err = await refusal(client.request({ url: 'file:///etc/passwd' }));
    await client.close();
    assert.match(err.message, /scheme file: is not http/);
  });
});

describe('guarded client: allowed requests', () => {
  it('sends, reads the answer, and reuses the connection', async () => {
    handler = (_u, res) => res.writeHead(201, { 'x-echo': 'yes' }).end('created');
    const client = createGuardedClient({ allow: ['127.0.0.0/8'] });
    const before = connections;
    const a = await client.request({ url: `http://127.0.0.1:${port}/a`, body: '{}', headers: { 'content-type': 'application/json' } });
    const b = await client.request({ url: `http://localhost:${port}/b`, body: '{}' });
    await client.close();
    assert.equal(a.status, 201);
    assert.equal(a.headers['x-echo'], 'yes');
    assert.equal(a.body, 'created');
    assert.equal(a.truncated, false);
    assert.equal(b.status, 201);
    assert.ok(connections - before <= 2, 'keep-alive');
  });

  it('cuts long bodies at the cap', async () => {
    handler = (_u, res) => res.end('x'.repeat(100_000));
    const client = createGuardedClient({ allow: ['127.0.0.0/8'], maxResponseBytes: 1000 });
    const r = await client.request({ url: `http://127.0.0.1:${port}/big` });
    await client.close();
    assert.equal(r.body.length, 1000);
    assert.equal(r.truncated, true);
  });

  it('never follows a redirect', async () => {
    requests = [];
    handler = (url, res) => (url === '/from' ? res.writeHead(302, { location: `http://127.0.0.1:${port}/to` }).end() : res.end('followed'));
    const client = createGuardedClient({ allow: ['127.0.0.0/8'] });
    const r = await client.request({ url: `http://127.0.0.1:${port}/from` });
    await client.close();
    assert.equal(r.status, 302);
    assert.deepEqual(requests, ['/from']);
  });

  it('times out a target that never answers', async () => {
    handler = () => {};
    const client = createGuardedClient({ allow: ['127.0.0.0/8'], timeoutMs: 200 });
    const t0 = Date.now();
    const err = await refusal(client.request({ url: `http://127.0.0.1:${port}/hang` }));
    await client.close();
    assert.equal(err.reason, 'timeout');
    assert.equal(err.retryable, true);
    assert.ok(Date.now() - t0 < 2000);
    server.closeAllConnections();
  });

  it('reports a refused connection as a retryable network error', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const client = createGuardedClient({ allow: ['127.0.0.0/8'] });
    const err = await refusal(client.request({ url: `http://127.0.0.1:${closedPort}/` }));
    await client.close();
    assert.equal(err.reason, 'network');
    assert.equal(err.retryable, true);
    assert.match(err.message, /ECONNREFUSED/);
  });

  it('reports a caller’s timeout signal as a timeout', async () => {
    handler = () => {};
    const client = createGuardedClient({ allow: ['127.0.0.0/8'] });
    const err = await refusal(client.request({ url: `http://127.0.0.1:${port}/hang`, signal: AbortSignal.timeout(100) }));
    await client.close();
    assert.equal(err.reason, 'timeout');
    assert.match(err.message, /timed out/);
    server.closeAllConnections();
  });

  it('honours the caller’s abort signal', async () => {
    handler = () => {};
    const client = createGuardedClient({ allow: ['127.0.0.0/8'] });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const err = await refusal(client.request({ url: `http://127.0.0.1:${port}/hang`, signal: ac.signal }));
    await client.close();
    assert.equal(err.reason, 'network');
    assert.match(err.message, /aborted/);
    server.closeAllConnections();
  });
});
