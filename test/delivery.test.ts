import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { deliveries, drain, eventually, FakeClock, startHerald, startSink } from './helpers/harness.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const config = (url: string, extra = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: hook, type: webhook, url: "${url}", secret: "${SECRET}", headers: {x-team: core${extra}}}
routes: [{receivers: [hook]}]
`;

describe('webhook delivery', () => {
  it('every delivery verifies with the official standardwebhooks library', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const wh = new Webhook(SECRET);
    const verified: unknown[] = [];
    sink.respond = (req, res) => {
      try {
        verified.push(wh.verify(req.body, req.headers as Record<string, string>));
        res.end('ok');
      } catch (err) {
        res.statusCode = 400;
        res.end(String(err));
      }
    };
    const h = await startHerald(t, config(`${sink.url}/hook`));
    const res = await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: Array.from({ length: 20 }, (_, i) => ({ title: `e${i}`, labels: { n: String(i) } })),
    });
    assert.equal(res.statusCode, 202);
    await eventually(async () => (await deliveries(h, '&state=succeeded')).length === 20, 5000, '20 deliveries');
    assert.equal(verified.length, 20);
    assert.equal(sink.requests.length, 20);
    const ids = new Set((await deliveries(h)).map((d) => d.id));
    for (const r of sink.requests) {
      assert.equal(r.headers['x-team'], 'core');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(ids.has(r.headers['webhook-id'] as string), 'webhook-id is the delivery id');
      const body = JSON.parse(r.body);
      assert.equal(body.receiver, 'hook');
      assert.equal(body.attempt, 1);
      assert.match(body.event.title, /^e\d+$/);
    }
    // A tampered body fails verification: the check above is real.
    const first = sink.requests[0];
    assert.ok(first);
    assert.throws(() => wh.verify(first.body.replace('"e', '"x'), first.headers as Record<string, string>));
  });

  it('retries on 503 honouring Retry-After (seconds and HTTP-date), with the same webhook-id', async (t) => {
    const clock = new FakeClock();
    const sink = await startSink();
    t.after(() => sink.close());
    const answers = [
      (res: import('node:http').ServerResponse) => {
        res.writeHead(503, { 'retry-after': '120' }).end('busy');
      },
      (res: import('node:http').ServerResponse) => {
        res.writeHead(503, { 'retry-after': new Date(clock.now() + 600_000).toUTCString() }).end('still busy');
      },
      (res: import('node:http').ServerResponse) => {
        res.end('ok');
      },
    ];
    sink.respond = (_req, res) => (answers.shift() ?? answers[answers.length - 1])?.(res);
    const h = await startHerald(t, config(`${sink.url}/hook`), { clock, random: () => 0.5 });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(() => sink.requests.length === 1, 5000, 'first attempt');
    await eventually(async () => (await deliveries(h))[0]?.state === 'failed', 5000, 'failed state');
    let [d] = await deliveries(h);
    assert.equal(Date.parse(d?.run_at ?? ''), clock.now() + 120_000, 'Retry-After: 120 → two minutes, no jitter');
    assert.equal(d?.last_status, 503);
    clock.advance(119_000);
    await drain(h);
    assert.equal(sink.requests.length, 1, 'nothing sent before Retry-After expired');
    clock.advance(1_000);
    await eventually(() => sink.requests.length === 2, 5000, 'second attempt');
    await eventually(async () => (await deliveries(h))[0]?.attempts === 2, 5000, 'second attempt recorded');
    [d] = await deliveries(h);
    assert.ok(Math.abs(Date.parse(d?.run_at ?? '') - (clock.now() + 600_000)) <= 1000, 'HTTP-date Retry-After honoured');
    clock.advance(600_000);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'success');
    [d] = await deliveries(h);
    assert.equal(d?.last_status, 200, 'the 200 of the successful attempt, not null');
    assert.equal(d?.last_error, null);
    assert.equal(new Set(sink.requests.map((r) => r.headers['webhook-id'])).size, 1, 'same webhook-id on every attempt');
    assert.deepEqual(
      sink.requests.map((r) => JSON.parse(r.body).attempt),
      [1, 2, 3],
    );
    const ev = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${JSON.parse(sink.requests[0]?.body ?? '{}').event.id}` })).json();
    const log = ev.deliveries[0].attempts_log;
    assert.deepEqual(
      log.map((a: { status: number; ok: boolean }) => [a.status, a.ok]),
      [
        [503, false],
        [503, false],
        [200, true],
      ],
    );
    assert.equal(log[0].response, 'busy');
  });

  it('follows the retry schedule with jitter when there is no Retry-After, and 429 uses no attempt', async (t) => {
    const clock = new FakeClock();
    const sink = await startSink();
    t.after(() => sink.close());
    const statuses = [500, 429, 500];
    sink.respond = (_req, res) => {
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    };
    const h = await startHerald(t, `${config(`${sink.url}/hook`)}\n`.replace('poll_interval: 20ms', 'poll_interval: 20ms, retry_schedule: [10s, 1m, 5m]'), {
      clock,
      random: () => 1,
    });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'failed', 5000, 'first failure');
    let [d] = await deliveries(h);
    assert.equal(Date.parse(d?.run_at ?? ''), clock.now() + 12_000, '10 s + 20 % jitter (random=1)');
    clock.advance(12_000);
    await eventually(async () => (await deliveries(h))[0]?.tries === 2, 5000, '429');
    [d] = await deliveries(h);
    assert.equal(d?.attempts, 1, 'the 429 did not use up an attempt');
    clock.advance(60_000);
    await eventually(async () => (await deliveries(h))[0]?.tries === 3, 5000, 'third try');
    [d] = await deliveries(h);
    assert.equal(d?.attempts, 2);
    assert.equal(Date.parse(d?.run_at ?? ''), clock.now() + 72_000, 'second retry: 1 m + 20 %');
    clock.advance(72_000);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'success');
  });

  it('gives up after the schedule and the delivery is dead; replay sends it again', async (t) => {
    const clock = new FakeClock();
    const sink = await startSink();
    t.after(() => sink.close());
    let status = 502;
    sink.respond = (_req, res) => {
      res.statusCode = status;
      res.end();
    };
    const h = await startHerald(t, config(`${sink.url}/hook`).replace('poll_interval: 20ms', 'poll_interval: 20ms, retry_schedule: [1s]'), { clock });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'failed', 5000, 'failed');
    clock.advance(2_000);
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /HTTP 502 \(gave up after 2 attempts\)/);
    assert.equal((await deliveries(h, '&state=dead')).length, 1);
    status = 200;
    const replay = await h.herald.server.inject({ method: 'POST', url: '/api/v1/deliveries/replay?state=dead' });
    assert.equal(replay.statusCode, 202);
    assert.equal(replay.json().replayed.length, 1);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'replayed');
    assert.equal(sink.requests.length, 3);
  });

  it('a clock jump while an attempt is in flight does not hand that attempt back (no second send)', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      setTimeout(() => res.end('ok'), 300);
    };
    const clock = new FakeClock();
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}\ndelivery: {poll_interval: 20ms}\nreceivers: [{name: out, type: webhook, url: "${sink.url}/hook"}]\nroutes: [{receivers: [out]}]\n`,
      { clock },
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'slow target' } });
    await eventually(() => sink.requests.length === 1, 5000, 'first send in flight');
    clock.advance(2 * 3_600_000); // far past any lease, e.g. an NTP step
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded');
    await drain(h);
    assert.equal(sink.requests.length, 1, 'sent once');
  });

  it('a 4xx is dead at once, with the response kept; no retry', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'bad payload', pad: 'x'.repeat(10_000) }));
    };
    const h = await startHerald(t, config(`${sink.url}/hook`));
    const { ids } = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } })).json();
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    await drain(h);
    assert.equal(sink.requests.length, 1, 'never retried');
    const attempt = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${ids[0]}` })).json().deliveries[0].attempts_log[0];
    assert.equal(attempt.status, 422);
    assert.equal(attempt.reason, 'client');
    assert.match(attempt.response, /^\{"error":"bad payload"/);
    assert.equal(Buffer.byteLength(attempt.response), 4096, 'first 4 KiB of the response');
  });

  it('does not follow redirects; a 3xx fails the delivery', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (req, res) => {
      if (req.url === '/hook') res.writeHead(302, { location: `${sink.url}/elsewhere` }).end();
      else res.end('followed!');
    };
    const h = await startHerald(t, config(`${sink.url}/hook`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    await drain(h);
    assert.deepEqual(
      sink.requests.map((r) => r.url),
      ['/hook'],
    );
    assert.match((await deliveries(h))[0]?.last_error ?? '', /redirect not followed/);
  });

  it('a refused destination is dead with the SSRF rule named, and no connection is made', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const h = await startHerald(t, config(`${sink.url}/hook`).replace('outbound: {allow: ["127.0.0.0/8"]}', ''));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /loopback/);
    assert.equal(sink.connections, 0);
  });

  it('never logs or stores secrets, even when the target echoes them', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (req, res) => {
      res.statusCode = 400;
      res.end(`you sent ${req.headers['x-api-key']} to ${req.url}`);
    };
    const h = await startHerald(t, config(`${sink.url}/hook/tok-abcdef123456`, ', x-api-key: key-9876543210'));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    const ev = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events[0];
    const detail = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${ev.id}` })).body;
    const logs = h.logLines.join('\n');
    for (const secret of ['key-9876543210', 'tok-abcdef123456', SECRET]) {
      assert.ok(!detail.includes(secret), `API leaks ${secret}`);
      assert.ok(!logs.includes(secret), `log leaks ${secret}`);
    }
    assert.match(detail, /you sent \*\*\* to \*\*\*/);
  });
});

describe('reload', () => {
  it('swaps receivers without losing or duplicating in-flight or queued work', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      setTimeout(() => res.end('ok'), 150);
    };
    const yaml = (tag: string) =>
      `${config(`${sink.url}/hook`).replace('x-team: core', `x-team: ${tag}`).replace('type: webhook,', 'type: webhook, concurrency: 4,')}`;
    const h = await startHerald(t, yaml('v1'));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 20 }, (_, i) => ({ title: `e${i}` })) });
    await eventually(() => sink.requests.length >= 2, 5000, 'sends in flight');
    const { parseConfig } = await import('../src/config/load.js');
    const { registry } = await import('./helpers/harness.js');
    await h.herald.reload(parseConfig(`${yaml('v2')}\nstorage: {url: "sqlite:${h.dbPath}"}\n`, registry(), {}));
    await eventually(async () => (await deliveries(h, '&state=succeeded')).length === 20, 10_000, 'all delivered');
    const ids = sink.requests.map((r) => r.headers['webhook-id']);
    assert.equal(ids.length, 20, 'no duplicates');
    assert.equal(new Set(ids).size, 20);
    const tags = sink.requests.map((r) => r.headers['x-team']);
    assert.ok(tags.includes('v1') && tags.includes('v2'), `old in-flight finished on v1, the rest went out with v2: ${tags.join(',')}`);
  });

  it('refuses a bad config and keeps running the old one', async (t) => {
    const h = await startHerald(t, 'receivers: [{name: console, type: log}]\nroutes: [{receivers: [console]}]\n');
    const { parseConfig } = await import('../src/config/load.js');
    const { registry } = await import('./helpers/harness.js');
    assert.throws(() => parseConfig('receivers: [{name: console, type: nope}]\n', registry(), {}), /unknown receiver type/);
    await assert.rejects(
      h.herald.reload(parseConfig('server: {listen: "127.0.0.1:1"}\nreceivers: [{name: console, type: log}]\n', registry(), {})),
      /server\.listen, storage\.url changed; restart Herald to apply them \(server\.listen: 127\.0\.0\.1:9470 → 127\.0\.0\.1:1; storage\.url: .*\)\. Nothing was reloaded$/,
    );
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'still here' } });
    assert.equal(res.statusCode, 202);
    assert.equal(h.herald.currentConfig().receivers[0]?.type, 'log');
  });

  it('a removed receiver’s queued deliveries go dead with a reason', async (t) => {
    const clock = new FakeClock();
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      res.statusCode = 503;
      res.end();
    };
    const h = await startHerald(t, config(`${sink.url}/hook`), { clock });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'failed', 5000, 'failed, waiting to retry');
    const { parseConfig } = await import('../src/config/load.js');
    const { registry } = await import('./helpers/harness.js');
    await h.herald.reload(
      parseConfig(`receivers: [{name: console, type: log}]\nroutes: [{receivers: [console]}]\nstorage: {url: "sqlite:${h.dbPath}"}\n`, registry(), {}),
    );
    const [d] = await deliveries(h);
    assert.equal(d?.state, 'dead');
    assert.equal(d?.last_error, 'receiver no longer configured');
  });
});

describe('graceful shutdown', () => {
  it('waits for in-flight sends within the grace period and records them', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      setTimeout(() => res.end('ok'), 300);
    };
    const h = await startHerald(t, config(`${sink.url}/hook`).replace('poll_interval: 20ms', 'poll_interval: 20ms, shutdown_timeout: 5s'));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(() => sink.requests.length === 1, 5000, 'send started');
    await h.stop();
    const { openSqliteStore } = await import('../src/store/sqlite/sqlite-dialect.js');
    const store = openSqliteStore({ path: h.dbPath });
    const [d] = await store.listDeliveries({ limit: 10 });
    await store.close();
    assert.equal(d?.state, 'succeeded');
  });

  it('hands back sends still running after the grace period, uncounted, and a restart delivers them', async (t) => {
    const { tempDir } = await import('./helpers/harness.js');
    const dir = tempDir(t);
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = () => {}; // never answers
    const yaml = config(`${sink.url}/hook`).replace('poll_interval: 20ms', 'poll_interval: 20ms, shutdown_timeout: 200ms');
    const first = await startHerald(t, yaml, { dir });
    await first.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(() => sink.requests.length === 1, 5000, 'send started');
    const t0 = Date.now();
    await first.stop();
    assert.ok(Date.now() - t0 < 3000, 'stop is bounded by shutdown_timeout');
    sink.respond = (_req, res) => {
      res.end('ok');
    };
    const second = await startHerald(t, yaml, { dir });
    await eventually(async () => (await deliveries(second))[0]?.state === 'succeeded', 5000, 'delivered after restart');
    const [d] = await deliveries(second);
    assert.equal(d?.attempts, 1, 'the interrupted try did not use up an attempt');
    const ids = sink.requests.map((r) => r.headers['webhook-id']);
    assert.equal(ids.length, 2);
    assert.equal(ids[0], ids[1], 'the same webhook-id');
  });
});

describe('ordering', () => {
  it('deliveries of one key to one receiver go out in order: a later one waits while an earlier one retries', async (t) => {
    const clock = new FakeClock();
    const sink = await startSink();
    t.after(() => sink.close());
    let failFirst = true;
    sink.respond = (req, res) => {
      const title = JSON.parse(req.body).event.title as string;
      if (title === 'trigger' && failFirst) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.end('ok');
    };
    const h = await startHerald(t, config(`${sink.url}/hook`), { clock });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'trigger', status: 'firing', key: 'db-1' } });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'unrelated', status: 'firing', key: 'db-2' } });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'resolve', status: 'resolved', key: 'db-1' } });
    await eventually(() => sink.requests.some((r) => JSON.parse(r.body).event.title === 'unrelated'), 5000, 'other keys flow');
    await drain(h);
    const titles = () => sink.requests.map((r) => JSON.parse(r.body).event.title as string);
    assert.deepEqual(titles().sort(), ['trigger', 'unrelated'], 'the resolve waits while its trigger is retrying');
    failFirst = false;
    clock.advance(60_000);
    await eventually(() => titles().includes('resolve'), 5000, 'resolve after trigger');
    assert.deepEqual(
      titles().filter((x) => x !== 'unrelated'),
      ['trigger', 'trigger', 'resolve'],
    );
  });

  it('a dead earlier delivery does not block later ones', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (req, res) => {
      res.statusCode = JSON.parse(req.body).event.title === 'bad' ? 400 : 200;
      res.end();
    };
    const h = await startHerald(t, config(`${sink.url}/hook`));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [
        { title: 'bad', key: 'k' },
        { title: 'good', key: 'k' },
      ],
    });
    await eventually(
      async () =>
        (await deliveries(h))
          .map((d) => d.state)
          .sort()
          .join() === 'dead,succeeded',
      5000,
      'one dead, one delivered',
    );
  });
});
