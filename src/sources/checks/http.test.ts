import assert from 'node:assert/strict';
import { createServer } from 'node:https';
import { describe, it } from 'node:test';
import {
  eventually,
  type FakeClock,
  listenLoopback,
  registry,
  type Sink,
  selfSignedCert,
  startHerald,
  startSink,
  tempDir,
} from '../../../test/helpers/harness.js';
import { parseConfig } from '../../config/load.js';
import { StoreUnavailableError } from '../../store/types.js';
import { evaluateHttp, type HttpCheckConfig, readJsonPath, statusMatcher } from './http.js';
import { checkInstance, PacedClock, pause, storedEvents } from './test-helpers.js';

type T = Parameters<typeof startHerald>[0];

/** Herald on a virtual clock (each run jumps it forward), with a webhook receiver delivering to a loopback sink. */
async function setup(t: T, sources: string, o: { allow?: boolean; clock?: FakeClock } = {}) {
  const sink = await startSink();
  t.after(() => sink.close());
  const clock = o.clock ?? new PacedClock();
  const allow = o.allow ?? true;
  const h = await startHerald(
    t,
    `${allow ? 'outbound: {allow: ["127.0.0.0/8"]}\n' : ''}delivery: {poll_interval: 20ms}
sources:
${sources}
${allow ? `receivers:\n  - {name: out, type: webhook, url: "${sink.url}/hook"}\nroutes: [{receivers: [out]}]\n` : ''}`,
    { clock },
  );
  /** Events delivered to the sink, once each (a redelivery would repeat an id). */
  const delivered = () => {
    const byId = new Map<string, { id: string; status: string; key: string; title: string }>();
    for (const r of sink.requests) {
      const e = JSON.parse(r.body).event;
      byId.set(e.id, e);
    }
    return [...byId.values()];
  };
  return { h, sink, clock, delivered };
}

async function target(t: T): Promise<Sink> {
  const s = await startSink();
  t.after(() => s.close());
  return s;
}

const base: HttpCheckConfig = {
  url: 'http://x.test/',
  method: 'GET',
  expect_status: ['2xx'],
  reject_unauthorized: true,
  interval: '60s',
  timeout: '10s',
  failures_before_alert: 2,
  successes_before_recovery: 1,
  severity: 'error',
};

describe('http-check: evaluation', () => {
  it('matches status codes, classes and ranges', () => {
    const m = statusMatcher([204, '3xx', '400-404']);
    assert.deepEqual(
      [200, 204, 301, 399, 400, 404, 405, 500].map((s) => m.test(s)),
      [false, true, true, true, true, true, false, false],
    );
    assert.equal(m.text, '204, 3xx, 400-404');
  });

  it('reads dot paths through objects and arrays, own properties only', () => {
    const v = { a: { b: [{ c: 1 }, { c: 'x' }] }, n: null };
    assert.deepEqual(readJsonPath(v, 'a.b.1.c'), { found: true, value: 'x' });
    assert.deepEqual(readJsonPath(v, '$.a.b.0.c'), { found: true, value: 1 });
    assert.deepEqual(readJsonPath(v, 'n'), { found: true, value: null });
    assert.deepEqual(readJsonPath(v, 'a.constructor'), { found: false });
    assert.deepEqual(readJsonPath(v, 'a.b.2.c'), { found: false });
  });

  it('names every unmet expectation', () => {
    const c: HttpCheckConfig = { ...base, body_contains: 'ok', json_path: 'status', json_value: 'up', max_latency: '100ms' };
    const r = evaluateHttp(c, { status: 500, body: '{"status":"down"}', truncated: false, durationMs: 250.4 }, 0);
    assert.deepEqual(r, {
      ok: false,
      message: 'HTTP 500, expected 2xx; took 250 ms, more than max_latency 100ms; body does not contain "ok"; json_path "status" is "down", expected "up"',
    });
    const good = evaluateHttp(c, { status: 200, body: '{"status":"up","ok":1}', truncated: false, durationMs: 12 }, 0);
    assert.deepEqual(good, { ok: true, message: 'HTTP 200 in 12 ms' });
    assert.deepEqual(evaluateHttp({ ...base, json_path: 'a', json_value: '3' }, { status: 200, body: '{"a":3}', truncated: false, durationMs: 1 }, 0).ok, true);
    assert.match(
      evaluateHttp({ ...base, json_path: 'a' }, { status: 200, body: '<html>', truncated: true, durationMs: 1 }, 0).message,
      /^json_path "a" cannot be read: body is not JSON \(.+\) \(first 256 KiB read\)$/,
    );
    const day = 86_400_000;
    const tls = { ...base, url: 'https://x.test/', tls_expiry_days: 14 };
    const at = (days: number) => ({ status: 200, body: '', truncated: false, durationMs: 1, certValidTo: new Date(days * day).toUTCString() });
    assert.match(evaluateHttp(tls, at(30), 0).message, /^HTTP 200 in 1 ms, certificate valid 30\.0 more days$/);
    assert.equal(evaluateHttp(tls, at(10), 0).message, 'certificate expires in 10.0 days (1970-01-11T00:00:00.000Z), within tls_expiry_days 14');
    assert.equal(evaluateHttp(tls, at(1), 2 * day).message, 'certificate expired on 1970-01-02T00:00:00.000Z');
  });
});

describe('http-check: end to end', () => {
  it('fires once after failures_before_alert failures, resolves once on recovery, and stops with Herald', async (t) => {
    const web = await target(t);
    // Requests 1-3 succeed, 4-10 fail, then it recovers.
    web.respond = (_req, res) => {
      const n = web.requests.length;
      res.statusCode = n >= 4 && n <= 10 ? 503 : 200;
      res.end(res.statusCode === 200 ? 'up' : 'down');
    };
    const { h, delivered } = await setup(
      t,
      `  - {name: web, type: http-check, url: "${web.url}/health", interval: 1s, timeout: 500ms, failures_before_alert: 3, severity: critical, labels: {team: web}}`,
    );
    await eventually(() => web.requests.length >= 20, 10_000, '20 runs');
    const events = await storedEvents(h, 'web');
    assert.equal(events.length, 2, JSON.stringify(events.map((e) => e.title)));
    const [firing, resolved] = events as [(typeof events)[0], (typeof events)[0]];
    assert.equal(firing.title, 'web is failing: HTTP 503, expected 2xx');
    assert.equal(firing.status, 'firing');
    assert.equal(firing.severity, 'critical');
    assert.equal(firing.key, 'check:web');
    assert.equal(firing.type, 'check');
    assert.deepEqual(firing.labels, { team: 'web', check: 'web', check_type: 'http' });
    assert.equal(firing.url, `${web.url}/health`);
    // Fired by the third failure, not earlier: its results are 3 ok, then 3 failed.
    assert.deepEqual(
      firing.data.results.map((r) => r.ok),
      [true, true, true, false, false, false],
    );
    assert.equal(firing.occurred_at, firing.data.results.at(-1)?.at);
    assert.match(resolved.title, /^web recovered: HTTP 200 in \d+ ms$/);
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.key, firing.key);
    assert.deepEqual(
      resolved.data.results.slice(-2).map((r) => r.ok),
      [false, true],
      'resolved by the first success (successes_before_recovery 1)',
    );

    const state = checkInstance(h, 'web').inspect();
    assert.equal(state.name, 'web');
    assert.equal(state.type, 'http-check');
    assert.equal(state.state, 'ok');
    assert.equal(state.consecutive_failures, 0);
    assert.ok(state.consecutive_successes >= 9);
    assert.ok(state.history.length >= 19);
    assert.deepEqual(
      state.history.slice(0, 11).map((r) => r.ok),
      [true, true, true, false, false, false, false, false, false, false, true],
    );
    assert.equal(state.last_result?.ok, true);

    await eventually(() => delivered().length === 2, 5000, 'both delivered');
    assert.deepEqual(
      delivered().map((e) => [e.status, e.key]),
      [
        ['firing', 'check:web'],
        ['resolved', 'check:web'],
      ],
    );

    await h.stop();
    // A request begun just before stop() may still arrive; after that, none.
    await pause(100);
    const after = web.requests.length;
    await pause(200);
    assert.equal(web.requests.length, after, 'no run after stop()');
  });

  it('a failure announced before a restart is resolved after it', async (t) => {
    const web = await target(t);
    let healthy = false;
    web.respond = (_req, res) => {
      res.statusCode = healthy ? 200 : 503;
      res.end();
    };
    const dir = tempDir(t);
    const yaml = `outbound: {allow: ["127.0.0.0/8"]}
sources: [{name: web, type: http-check, url: "${web.url}/health", interval: 1s, timeout: 500ms, failures_before_alert: 1}]
receivers: [{name: c, type: log}]
routes: [{receivers: [c]}]
`;
    const first = await startHerald(t, yaml, { dir, clock: new PacedClock() });
    await eventually(async () => (await storedEvents(first, 'web')).length === 1, 5000, 'firing stored');
    await first.stop();
    healthy = true;
    const second = await startHerald(t, yaml, { dir, clock: new PacedClock() });
    await eventually(async () => (await storedEvents(second, 'web')).length === 2, 5000, 'resolved after the restart');
    assert.deepEqual(
      (await storedEvents(second, 'web')).map((e) => e.status),
      ['firing', 'resolved'],
    );
  });

  it('stays silent while flapping under the thresholds (fail, ok, fail, …)', async (t) => {
    const web = await target(t);
    web.respond = (_req, res) => {
      res.statusCode = web.requests.length % 2 === 1 ? 500 : 200;
      res.end();
    };
    const { h } = await setup(t, `  - {name: flappy, type: http-check, url: "${web.url}/", interval: 1s, timeout: 500ms, failures_before_alert: 2}`);
    await eventually(() => web.requests.length >= 30, 10_000, '30 runs');
    const state = checkInstance(h, 'flappy').inspect();
    assert.deepEqual(
      state.history.slice(0, 4).map((r) => r.ok),
      [false, true, false, true],
    );
    assert.equal(state.state, 'ok');
    assert.equal((await storedEvents(h, 'flappy')).length, 0);
  });

  it('fails with a precise reason for status, body, regex, JSON path, latency and timeout; passes when all hold', async (t) => {
    const web = await target(t);
    web.respond = async (req, res) => {
      const path = req.url.split('?')[0];
      if (path === '/hang') return; // never answers
      if (path === '/slow') await pause(120);
      if (path === '/status') res.statusCode = 503;
      if (path === '/json' || path === '/good') res.setHeader('content-type', 'application/json');
      const bodies: Record<string, string> = {
        '/json': JSON.stringify({ status: 'degraded', checks: [{ name: 'db', ok: false }] }),
        '/good': JSON.stringify({ status: 'ok', checks: [{ name: 'db', ok: true }], note: 'All operational' }),
      };
      res.end(bodies[path ?? ''] ?? 'all systems degraded');
    };
    const common = 'interval: 5s, timeout: 3s, failures_before_alert: 1';
    const { h } = await setup(
      t,
      [
        `  - {name: status, type: http-check, url: "${web.url}/status", expect_status: [200, 204], ${common}}`,
        `  - {name: contains, type: http-check, url: "${web.url}/text", body_contains: operational, ${common}}`,
        `  - {name: regex, type: http-check, url: "${web.url}/text", body_regex: "^OK\\\\b", ${common}}`,
        `  - {name: jsonvalue, type: http-check, url: "${web.url}/json", json_path: checks.0.ok, json_value: "true", ${common}}`,
        `  - {name: jsonmissing, type: http-check, url: "${web.url}/json", json_path: checks.1.ok, ${common}}`,
        `  - {name: notjson, type: http-check, url: "${web.url}/text", json_path: status, ${common}}`,
        `  - {name: slow, type: http-check, url: "${web.url}/slow", max_latency: 50ms, ${common}}`,
        `  - {name: hang, type: http-check, url: "${web.url}/hang", interval: 5s, timeout: 300ms, failures_before_alert: 1}`,
        `  - name: good
    type: http-check
    url: "${web.url}/good?x=1"
    method: POST
    body: '{"probe": true}'
    headers: {Authorization: "Bearer check-header-secret-42", Content-Type: application/json}
    expect_status: ["2xx"]
    body_contains: operational
    body_regex: '"status":"ok"'
    json_path: checks.0.ok
    json_value: "true"
    max_latency: 2s
    ${common.replaceAll(', ', '\n    ')}`,
      ].join('\n'),
    );
    const expected: Record<string, RegExp> = {
      status: /^status is failing: HTTP 503, expected 200, 204$/,
      contains: /^contains is failing: body does not contain "operational"$/,
      regex: /^regex is failing: body does not match \/\^OK\\b\/$/,
      jsonvalue: /^jsonvalue is failing: json_path "checks\.0\.ok" is "false", expected "true"$/,
      jsonmissing: /^jsonmissing is failing: json_path "checks\.1\.ok" is not in the body$/,
      notjson: /^notjson is failing: json_path "status" cannot be read: body is not JSON \(.+\)$/,
      slow: /^slow is failing: took (\d+) ms, more than max_latency 50ms$/,
      hang: /^hang is failing: request to 127\.0\.0\.1 timed out after 300 ?ms$/,
    };
    for (const [name, title] of Object.entries(expected)) {
      await eventually(async () => (await storedEvents(h, name)).length > 0, 10_000, `${name} fired`);
      const events = await storedEvents(h, name);
      assert.equal(events.length, 1, name);
      const m = title.exec(events[0]?.title ?? '');
      assert.ok(m, `${events[0]?.title} does not match ${title}`);
      if (name === 'slow') assert.ok(Number(m[1]) >= 120, 'latency measured');
      assert.equal(events[0]?.status, 'firing');
    }
    await eventually(() => checkInstance(h, 'good').inspect().history.length >= 3, 5000, 'good ran');
    const good = checkInstance(h, 'good').inspect();
    assert.equal(good.state, 'ok', JSON.stringify(good.last_result));
    assert.match(good.last_result?.message ?? '', /^HTTP 200 in \d+ ms$/);
    assert.equal((await storedEvents(h, 'good')).length, 0);
    const probe = web.requests.find((r) => r.url === '/good?x=1');
    assert.equal(probe?.method, 'POST');
    assert.equal(probe?.headers.authorization, 'Bearer check-header-secret-42');
    assert.equal(probe?.body, '{"probe": true}');
    assert.ok(h.config.secrets.includes('Bearer check-header-secret-42'), 'header values are secrets (masked in logs)');
  });

  it('keeps the firing transition while the store is unavailable and stores it on a later run', async (t) => {
    const web = await target(t);
    let failing = false;
    web.respond = (_req, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end();
    };
    const { h } = await setup(t, `  - {name: api, type: http-check, url: "${web.url}/", interval: 1s, timeout: 500ms, failures_before_alert: 2}`);
    const check = checkInstance(h, 'api');
    await eventually(() => check.inspect().state === 'ok', 5000, 'ok');
    const store = h.herald.storeForTests();
    const original = store.commitIngest;
    store.commitIngest = () => Promise.reject(new StoreUnavailableError('disk on fire'));
    try {
      failing = true;
      await eventually(() => check.inspect().pending_events === 1, 5000, 'transition pending');
      const runs = web.requests.length;
      await eventually(() => web.requests.length >= runs + 5, 5000, 'five more runs');
      assert.equal(check.inspect().state, 'failing');
      assert.equal(check.inspect().pending_events, 1, 'still one transition, no repeats while failing');
    } finally {
      store.commitIngest = original;
    }
    await eventually(async () => (await storedEvents(h, 'api')).length > 0, 5000, 'stored after the store came back');
    const runs = web.requests.length;
    await eventually(() => web.requests.length >= runs + 5, 5000, 'five more runs');
    const events = await storedEvents(h, 'api');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.status, 'firing');
    assert.equal(check.inspect().pending_events, 0);
    // occurred_at is when the check turned failing, which is before the runs that stored it.
    const turned = check.inspect().history.find((r, i, all) => !r.ok && all[i - 1]?.ok === false);
    assert.equal(events[0]?.occurred_at, turned?.at);
    assert.ok(h.logLines.some((l) => l.includes('could not store the check state change')));
  });

  it('goes through the outbound guard: without outbound.allow a loopback target sees no connection', async (t) => {
    const web = await target(t);
    const tls = selfSignedCert('IP:127.0.0.1');
    const https = createServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('ok'));
    let tlsConnections = 0;
    https.on('connection', () => tlsConnections++);
    const secure = await listenLoopback(https);
    t.after(() => secure.close());
    const { h } = await setup(
      t,
      `  - {name: local, type: http-check, url: "${web.url}/", interval: 1s, timeout: 500ms, failures_before_alert: 1}
  - {name: localtls, type: http-check, url: "https://127.0.0.1:${secure.port}/", ca: ${JSON.stringify(tls.cert.toString())}, tls_expiry_days: 1, interval: 1s, timeout: 500ms, failures_before_alert: 1}`,
      { allow: false },
    );
    for (const name of ['local', 'localtls']) {
      await eventually(async () => (await storedEvents(h, name)).length > 0, 5000, `${name} fired`);
      const [event] = await storedEvents(h, name);
      assert.match(
        event?.title ?? '',
        /is failing: refused to connect to 127\.0\.0\.1 \(127\.0\.0\.1\): loopback.* is not allowed; add its CIDR to outbound\.allow/,
      );
    }
    assert.equal(web.connections, 0);
    assert.equal(tlsConnections, 0);
  });

  it('reads the server certificate: trusts `ca`, fails near expiry, accepts any certificate with reject_unauthorized: false', async (t) => {
    // The certificate is valid for one day from now, so the clock starts at real time.
    const tls = selfSignedCert('IP:127.0.0.1');
    const https = createServer({ key: tls.key, cert: tls.cert }, (_req, res) => res.end('secure ok'));
    const secure = await listenLoopback(https);
    t.after(() => secure.close());
    const url = `https://127.0.0.1:${secure.port}/`;
    const ca = JSON.stringify(tls.cert.toString());
    const common = 'interval: 5s, timeout: 2s, failures_before_alert: 1';
    const { h } = await setup(
      t,
      [
        `  - {name: trusted, type: http-check, url: "${url}", ca: ${ca}, tls_expiry_days: 0.5, body_contains: secure, ${common}}`,
        `  - {name: expiring, type: http-check, url: "${url}", ca: ${ca}, tls_expiry_days: 2, ${common}}`,
        `  - {name: untrusted, type: http-check, url: "${url}", ${common}}`,
        `  - {name: untrusted_expiry, type: http-check, url: "${url}", tls_expiry_days: 0.5, ${common}}`,
        `  - {name: insecure, type: http-check, url: "${url}", reject_unauthorized: false, tls_expiry_days: 0.5, ${common}}`,
      ].join('\n'),
      { clock: new PacedClock(Date.now()) },
    );
    const settled = async (name: string) => {
      await eventually(() => checkInstance(h, name).inspect().history.length >= 2, 10_000, `${name} ran`);
      return checkInstance(h, name).inspect();
    };
    for (const name of ['trusted', 'insecure']) {
      const s = await settled(name);
      assert.equal(s.state, 'ok', `${name}: ${s.last_result?.message}`);
      assert.match(s.last_result?.message ?? '', /^HTTP 200 in \d+ ms, certificate valid (0\.9\d*|1\.0) more days$/);
    }
    const expiring = await settled('expiring');
    assert.equal(expiring.state, 'failing');
    assert.match(expiring.last_result?.message ?? '', /^certificate expires in (0\.9|1\.0) days \(\d{4}-.+Z\), within tls_expiry_days 2$/);
    for (const name of ['untrusted', 'untrusted_expiry']) {
      const s = await settled(name);
      assert.equal(s.state, 'failing');
      assert.match(s.last_result?.message ?? '', /self[- ]signed|SELF_SIGNED/i, `${name}: ${s.last_result?.message}`);
    }
    const [event] = await storedEvents(h, 'expiring');
    assert.match(event?.title ?? '', /^expiring is failing: certificate expires in/);
  });

  it('refuses bad configuration precisely', () => {
    const parse = (entry: string) => {
      try {
        parseConfig(`sources: [${entry}]`, registry(), {});
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const u = 'url: "http://api.example.com/health"';
    assert.match(parse(`{name: a, type: http-check, ${u}, interval: 5s, timeout: 10s}`), /sources\[0\]\.timeout: timeout 10s is longer than interval 5s/);
    assert.match(parse(`{name: a, type: http-check, ${u}, json_value: ok}`), /sources\[0\]\.json_value: json_value needs json_path/);
    assert.match(parse(`{name: a, type: http-check, ${u}, body_regex: "("}`), /sources\[0\]\.body_regex: not a valid regular expression/);
    assert.match(parse(`{name: a, type: http-check, ${u}, tls_expiry_days: 7}`), /sources\[0\]\.tls_expiry_days: tls_expiry_days needs an https:\/\/ url/);
    assert.match(parse(`{name: a, type: http-check, ${u}, body: x}`), /sources\[0\]\.body: a GET request has no body/);
    assert.match(parse(`{name: a, type: http-check, ${u}, expect_status: ["2xy"]}`), /sources\[0\]\.expect_status/);
    assert.match(parse(`{name: a, type: http-check, ${u}, failures_before_alert: 0}`), /sources\[0\]\.failures_before_alert/);
    assert.match(parse('{name: a, type: http-check, url: "ftp://x"}'), /sources\[0\]\.url/);
    assert.equal(parse(`{name: a, type: http-check, ${u}, expect_status: [200, "3xx", "400-404"]}`), '');
  });
});
