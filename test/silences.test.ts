import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { drain, eventually, FakeClock, registry, type Sink, startHerald, startSink, type TestHerald } from './helpers/harness.js';

const MIN = 60_000;

type T = Parameters<typeof startHerald>[0];

interface Delivered {
  event: { title: string; status: string; key: string; labels: Record<string, string> };
}
interface Delivery {
  id: string;
  state: string;
  last_error: string | null;
}

const bodies = (sink: Sink) => sink.requests.map((r) => JSON.parse(r.body) as Delivered);
const api = (h: TestHerald, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
  h.herald.server.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const post = (h: TestHerald, event: unknown) => api(h, 'POST', '/api/v1/events', event);
const suppressed = async (h: TestHerald): Promise<Delivery[]> => (await api(h, 'GET', '/api/v1/deliveries?state=suppressed&limit=500')).json().deliveries;

function yaml(sink: Sink, extra = '', policy = '{repeat_interval: 10m}') {
  return `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes:
  - name: ops
    policy: ${policy}
    receivers: [out]
${extra}`;
}

async function setup(t: T, extra = '', o: { clock?: FakeClock; policy?: string } = {}) {
  const sink = await startSink();
  t.after(() => sink.close());
  const clock = o.clock ?? new FakeClock();
  const h = await startHerald(t, yaml(sink, extra, o.policy), { clock });
  return { sink, h, clock };
}

/**
 * A clock that lets a check run only when the test says so: each `minute()`
 * releases the check's sleep (time jumps by its interval), waits for the run
 * to finish (it sleeps again), then drains the dispatcher and the delivery
 * engine (`settled`, set once Herald runs) at the new time.
 */
class StepClock extends FakeClock {
  settled: () => Promise<void> = async () => {};
  private waiting: { ms: number; resolve: () => void } | undefined;

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const onAbort = () => reject(signal?.reason ?? new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting = {
        ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
    });
  }

  /** Runs the check once more, one interval later. */
  async step(): Promise<void> {
    await eventually(() => this.waiting !== undefined, 15_000, 'the check to sleep');
    const w = this.waiting as { ms: number; resolve: () => void };
    this.waiting = undefined;
    this.advance(w.ms);
    w.resolve();
    await eventually(() => this.waiting !== undefined, 10_000, 'the check run to finish');
    await this.settled();
  }
}

describe('silences, maintenance windows and inhibition, end to end', () => {
  it('a silence created by API mutes an incident (recorded as suppressed, nothing sent); once expired, the next repeat is sent', async (t) => {
    const { sink, h, clock } = await setup(t);
    const bad = [
      [{ matchers: ['service=~"('], duration: '1h', author: 'a', comment: 'c' }, /matchers\[0\]: invalid regex/],
      [{ matchers: ['no matcher here'], duration: '1h', author: 'a', comment: 'c' }, /matchers\[0\]: not a matcher/],
      [{ matchers: ['env=""'], duration: '1h', author: 'a', comment: 'c' }, /matchers: at least one matcher must not match the empty string/],
      [{ matchers: ['service="api"'], author: 'a', comment: 'c' }, /give exactly one of ends_at and duration/],
      [{ matchers: ['service="api"'], duration: '1h', ends_at: '2026-03-01T13:00:00Z', author: 'a', comment: 'c' }, /give exactly one/],
      [{ matchers: ['service="api"'], ends_at: '2026-03-01T11:00:00Z', author: 'a', comment: 'c' }, /ends_at: must be after starts_at/],
      [
        { matchers: ['service="api"'], starts_at: '2026-03-01T09:00:00Z', duration: '1h', author: 'a', comment: 'c' },
        /duration: the silence would already have ended/,
      ],
      [{ matchers: ['service="api"'], duration: 'soon', author: 'a', comment: 'c' }, /duration: must match/],
      [{ matchers: ['service="api"'], duration: '1h', comment: 'c' }, /author: is required/],
      [{ matchers: [], duration: '1h', author: 'a', comment: 'c' }, /matchers: must have at least 1 items/],
    ] as const;
    for (const [body, message] of bad) {
      const res = await api(h, 'POST', '/api/v1/silences', body);
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().error, 'invalid_silence');
      assert.match(res.json().detail, message);
    }
    assert.equal((await api(h, 'GET', '/api/v1/silences')).json().silences.length, 0, 'nothing stored by refused requests');

    const created = await api(h, 'POST', '/api/v1/silences', {
      matchers: ['service="api"', 'severity=~"critical|error"'],
      duration: '1h',
      author: 'alice',
      comment: 'deploy',
    });
    assert.equal(created.statusCode, 201, created.body);
    const silence = created.json();
    assert.equal(silence.state, 'active');
    assert.equal(silence.origin, 'api');
    assert.equal(silence.ends_at, '2026-03-01T13:00:00.000Z');

    await post(h, { title: 'api errors', status: 'firing', key: 'api-errors', severity: 'critical', labels: { service: 'api' } });
    await post(h, { title: 'web errors', status: 'firing', key: 'web-errors', severity: 'critical', labels: { service: 'web' } });
    await eventually(async () => (await suppressed(h)).length === 1 && sink.requests.length === 1, 15_000, 'one suppressed, one sent');
    assert.equal(bodies(sink)[0]?.event.key, 'web-errors', 'an incident the silence does not match is sent');
    assert.equal((await suppressed(h))[0]?.last_error, `silenced by ${silence.id}`);
    const [incident] = (await api(h, 'GET', '/api/v1/incidents?status=firing')).json().incidents.filter((i: { key: string }) => i.key === 'api-errors');
    const detail = (await api(h, 'GET', `/api/v1/incidents/${incident.id}`)).json();
    assert.deepEqual(
      detail.notifications.map((n: Delivery) => [n.state, n.last_error]),
      [['suppressed', `silenced by ${silence.id}`]],
    );

    clock.advance(10 * MIN);
    await eventually(async () => (await suppressed(h)).length === 2 && sink.requests.length === 2, 15_000, 'the repeat is suppressed too');
    assert.deepEqual(
      bodies(sink).map((b) => b.event.key),
      ['web-errors', 'web-errors'],
    );

    const expired = await api(h, 'DELETE', `/api/v1/silences/${silence.id}`);
    assert.equal(expired.statusCode, 200, expired.body);
    assert.equal((await api(h, 'GET', '/api/v1/silences')).json().silences.length, 0, 'an expired silence is not listed by default');
    const all = (await api(h, 'GET', '/api/v1/silences?all=true')).json().silences;
    assert.deepEqual(
      all.map((s: { id: string; state: string; expired_at: string }) => [s.id, s.state, s.expired_at]),
      [[silence.id, 'expired', '2026-03-01T12:10:00.000Z']],
    );
    assert.equal((await api(h, 'DELETE', `/api/v1/silences/${silence.id}`)).json().error, 'already_expired');
    assert.equal((await api(h, 'DELETE', '/api/v1/silences/nope')).statusCode, 404);
    assert.equal((await api(h, 'GET', '/api/v1/silences?all=maybe')).statusCode, 400);

    clock.advance(10 * MIN);
    await eventually(() => sink.requests.length === 4, 15_000, 'repeats after the silence');
    await drain(h);
    assert.deepEqual(
      bodies(sink)
        .map((b) => b.event.key)
        .sort(),
      ['api-errors', 'web-errors', 'web-errors', 'web-errors'],
    );
    assert.equal((await suppressed(h)).length, 2);
  });

  it('a config maintenance window (weekly, in its time zone) mutes only while open; config silences are listed and read-only', async (t) => {
    // The fake clock starts on Sunday 2026-03-01 12:00Z, 13:00 in Berlin: inside 13:00–13:30 local, not inside 13:00–13:30 UTC.
    const extra = `maintenance:
  - name: sunday-patching
    matchers: ['env="prod"']
    time_zone: Europe/Berlin
    weekly: [{days: [sunday], start: "13:00", end: "13:30"}]
silences:
  - {id: cfg-quiet, matchers: ['team="nobody"'], starts_at: 2026-03-01T00:00:00Z, ends_at: 2026-03-02T00:00:00Z, author: ops, comment: from the file}
`;
    const { sink, h, clock } = await setup(t, extra);
    await post(h, { title: 'disk full', status: 'firing', key: 'disk', labels: { env: 'prod' } });
    await post(h, { title: 'dev disk full', status: 'firing', key: 'dev-disk', labels: { env: 'dev' } });
    await eventually(async () => (await suppressed(h)).length === 1 && sink.requests.length === 1, 15_000, 'prod muted, dev sent');
    assert.equal(bodies(sink)[0]?.event.key, 'dev-disk');
    assert.equal((await suppressed(h))[0]?.last_error, 'maintenance by sunday-patching');
    clock.advance(20 * MIN); // 13:20 local: still open
    await eventually(async () => (await suppressed(h)).length === 2 && sink.requests.length === 2, 15_000, 'the prod repeat muted');
    clock.advance(10 * MIN); // 13:30 local: closed (the end is exclusive)
    await eventually(() => sink.requests.length === 4, 15_000, 'the repeat after the window is sent');
    await drain(h);
    assert.deepEqual(
      bodies(sink)
        .map((b) => b.event.key)
        .sort(),
      ['dev-disk', 'dev-disk', 'dev-disk', 'disk'],
    );
    assert.equal((await suppressed(h)).length, 2);

    const listed = (await api(h, 'GET', '/api/v1/silences')).json().silences;
    assert.deepEqual(listed, [
      {
        id: 'cfg-quiet',
        matchers: ['team="nobody"'],
        author: 'ops',
        comment: 'from the file',
        starts_at: '2026-03-01T00:00:00.000Z',
        ends_at: '2026-03-02T00:00:00.000Z',
        state: 'active',
        origin: 'config',
        created_at: null,
        expired_at: null,
      },
    ]);
    const refused = await api(h, 'DELETE', '/api/v1/silences/cfg-quiet');
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error, 'config_silence');
  });

  it('inhibition: a firing DatacenterDown mutes host alerts in the same dc only, and stops muting once resolved', async (t) => {
    const extra = `inhibit_rules:
  - name: datacenter-down
    source_matchers: ['alertname="DatacenterDown"']
    target_matchers: ['alertname="HostDown"']
    equal: [dc]
`;
    const { sink, h, clock } = await setup(t, extra);
    await post(h, { title: 'fra is down', status: 'firing', key: 'datacenter-down', labels: { alertname: 'DatacenterDown', dc: 'fra' } });
    await eventually(() => sink.requests.length === 1, 15_000, 'the source is notified');
    await post(h, { title: 'web-1 down', status: 'firing', key: 'host-fra-1', labels: { alertname: 'HostDown', dc: 'fra', host: 'web-1' } });
    await post(h, { title: 'web-9 down', status: 'firing', key: 'host-ams-9', labels: { alertname: 'HostDown', dc: 'ams', host: 'web-9' } });
    await eventually(async () => (await suppressed(h)).length === 1 && sink.requests.length === 2, 15_000, 'fra host muted, ams host sent');
    await drain(h);
    assert.deepEqual(
      bodies(sink).map((b) => b.event.key),
      ['datacenter-down', 'host-ams-9'],
    );
    assert.equal((await suppressed(h))[0]?.last_error, 'inhibited by datacenter-down');

    await post(h, { title: 'fra is up', status: 'resolved', key: 'datacenter-down' });
    clock.advance(10 * MIN);
    await eventually(() => sink.requests.length === 5, 15_000, 'the resolved source and both host repeats');
    await drain(h);
    assert.deepEqual(
      bodies(sink)
        .slice(2)
        .map((b) => `${b.event.key}:${b.event.status}`)
        .sort(),
      ['datacenter-down:resolved', 'host-ams-9:firing', 'host-fra-1:firing'],
      'a resolved source mutes no more',
    );
    assert.equal((await suppressed(h)).length, 1);
  });

  it('a reload applies new config silences', async (t) => {
    const { sink, h, clock } = await setup(t);
    await post(h, { title: 'queue slow', status: 'firing', key: 'queue', labels: { service: 'queue' } });
    await eventually(() => sink.requests.length === 1, 15_000, 'sent before the reload');
    const next = `${yaml(sink)}silences:
  - {id: quiet-queue, matchers: ['service="queue"'], starts_at: 2026-03-01T00:00:00Z, ends_at: 2026-03-02T00:00:00Z, author: ops, comment: reload}
storage: {url: "sqlite:${h.dbPath}"}
`;
    await h.herald.reload(parseConfig(next, registry(), {}));
    clock.advance(10 * MIN);
    await eventually(async () => (await suppressed(h)).length === 1, 15_000, 'the repeat is muted by the reloaded silence');
    await drain(h);
    assert.equal(sink.requests.length, 1);
    assert.equal((await suppressed(h))[0]?.last_error, 'silenced by quiet-queue');
  });

  it('bad silences:, maintenance: and inhibit_rules: sections are config errors with their paths', () => {
    const text = `maintenance:
  - {name: w, matchers: ['env="prod"'], time_zone: Europe/Berln, weekly: [{days: [sat], start: "7:00", end: "08:00"}]}
inhibit_rules:
  - {source_matchers: ['==x'], target_matchers: ['a="b"']}
routes: []
`;
    assert.throws(
      () => parseConfig(text, registry(), {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const paths = err.issues.map((i) => i.path);
        for (const p of [
          'maintenance[0].time_zone',
          'maintenance[0].weekly[0].days[0]',
          'maintenance[0].weekly[0].start',
          'inhibit_rules[0].source_matchers[0]',
        ])
          assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
        return true;
      },
    );
  });
});

describe('acceptance: an http-check on a route with a repeat policy', () => {
  it('one firing after failures_before_alert failures, a repeat every 10 minutes while failing, one resolved; nothing while silenced', async (t) => {
    const web = await startSink();
    t.after(() => web.close());
    let failing = false;
    web.respond = (_req, res) => {
      res.statusCode = failing ? 503 : 200;
      res.end(failing ? 'down' : 'up');
    };
    const clock = new StepClock();
    const source = `sources:
  - {name: web, type: http-check, url: "${web.url}/health", interval: 1m, timeout: 5s, failures_before_alert: 3}
`;
    const { sink, h } = await setup(t, source, { clock });
    clock.settled = () => drain(h);
    const minutes = async (n: number) => {
      for (let i = 0; i < n; i++) await clock.step();
    };
    const statuses = () => bodies(sink).map((b) => b.event.status);

    await minutes(1); // runs 0 and 1: healthy
    failing = true;
    await minutes(2); // runs 2, 3: two failures
    assert.equal(sink.requests.length, 0, 'no notification before failures_before_alert failures');
    await minutes(1); // run 4: the third failure fires (minute 4)
    await eventually(() => sink.requests.length === 1, 15_000, 'the firing notification');
    await minutes(9); // minute 13
    assert.deepEqual(statuses(), ['firing'], 'no repeat before 10 minutes');
    await minutes(1); // minute 14
    await eventually(() => sink.requests.length === 2, 15_000, 'the first repeat');
    await minutes(10); // minute 24
    await eventually(() => sink.requests.length === 3, 15_000, 'the second repeat');
    await minutes(3); // minute 27, still failing
    failing = false;
    await minutes(1); // minute 28: recovered
    await eventually(() => sink.requests.length === 4, 15_000, 'the resolved notification');
    await drain(h);
    assert.deepEqual(statuses(), ['firing', 'firing', 'firing', 'resolved']);
    assert.ok(bodies(sink).every((b) => b.event.labels.check === 'web'));

    const created = await api(h, 'POST', '/api/v1/silences', { matchers: ['check="web"'], duration: '1h', author: 'alice', comment: 'web maintenance' });
    assert.equal(created.statusCode, 201, created.body);
    failing = true;
    await minutes(4); // minutes 29–32: fails again, fires at minute 31
    await minutes(19); // minute 51: the repeat at 41 is muted too
    failing = false;
    await minutes(1); // minute 52: recovered
    await drain(h);
    assert.equal(sink.requests.length, 4, 'nothing reaches the receiver while the silence is active');
    const muted = await suppressed(h);
    assert.equal(muted.length, 4, 'firing, two repeats and resolved are recorded as suppressed');
    assert.ok(muted.every((d) => d.last_error === `silenced by ${created.json().id}`));
  });
});
