import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakePagerDuty } from './fakes/pagerduty.js';
import { startFakeSlack } from './fakes/slack.js';
import { drain, eventually, FakeClock, type Sink, startHerald, startSink, type TestHerald, tempDir } from './helpers/harness.js';

const MIN = 60_000;
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';

type T = Parameters<typeof startHerald>[0];

function yaml(sink: Sink, policy: string, extra = '') {
  return `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
${extra}routes:
  - name: ops
    policy: ${policy}
    receivers: [out${extra ? ', pager' : ''}]
`;
}

const bodies = (sink: Sink) =>
  sink.requests.map((r) => JSON.parse(r.body) as { event: { title: string; status: string; key: string; data?: unknown }; incident?: Record<string, unknown> });
const post = (h: TestHerald, payload: unknown) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: payload as object });

async function setup(t: T, policy: string, o: { clock?: FakeClock; extra?: string; dir?: string; sink?: Sink } = {}) {
  const sink = o.sink ?? (await startSink());
  if (!o.sink) t.after(() => sink.close());
  const h = await startHerald(t, yaml(sink, policy, o.extra), { clock: o.clock, dir: o.dir });
  return { sink, h };
}

describe('incidents on a route with a policy', () => {
  it('the same alert posted by three senders notifies once; times_seen counts every event; the resolve notifies once', async (t) => {
    const { sink, h } = await setup(t, '{repeat_interval: 1h, group_interval: 0s}');
    for (let i = 0; i < 3; i++) await post(h, { title: 'api errors', status: 'firing', key: 'api-errors', labels: { service: 'api' } });
    await eventually(() => sink.requests.length === 1, 15_000, 'one notification');
    await drain(h);
    assert.equal(sink.requests.length, 1, 'duplicates of the firing state are not notified');
    for (let i = 0; i < 38; i++) await post(h, { title: 'api errors', status: 'firing', key: 'api-errors', labels: { service: 'api' } });
    const [incident] = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/incidents?status=firing' })).json().incidents;
    assert.equal(incident.times_seen, 41, 'times_seen equals the events received for the key');
    await post(h, { title: 'api errors', status: 'resolved', key: 'api-errors' });
    await drain(h);
    await post(h, { title: 'api errors', status: 'resolved', key: 'api-errors' });
    await eventually(() => sink.requests.length === 2, 15_000, 'resolved notification');
    await drain(h);
    assert.deepEqual(
      bodies(sink).map((b) => b.event.status),
      ['firing', 'resolved'],
    );
    assert.equal(bodies(sink)[1]?.incident?.times_seen, 41);
    const detail = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/incidents/${incident.id}` })).json();
    assert.equal(detail.status, 'resolved');
    assert.equal(detail.notifications.length, 2);
    assert.equal(detail.events.length, 42, 'the 41 firing events and the one that resolved it, not the later duplicate');
  });

  it('repeats every repeat_interval while firing (virtual clock); acknowledging stops repeats and sends acknowledge to PagerDuty', async (t) => {
    const pd = await startFakePagerDuty();
    t.after(() => pd.close());
    const clock = new FakeClock();
    const { sink, h } = await setup(t, '{repeat_interval: 10m}', {
      clock,
      extra: `  - {name: pager, type: pagerduty, routing_key: ${ROUTING_KEY}, url: "${pd.url}"}\n`,
    });
    await post(h, { title: 'db down', status: 'firing', key: 'db-1', severity: 'critical' });
    await eventually(() => sink.requests.length === 1 && pd.accepted.length === 1, 15_000, 'first notification');
    for (let n = 2; n <= 4; n++) {
      clock.advance(10 * MIN);
      await eventually(() => sink.requests.length === n, 15_000, `repeat ${n - 1}`);
    }
    clock.advance(5 * MIN);
    await drain(h);
    assert.equal(sink.requests.length, 4, 'no repeat before the interval');
    const [incident] = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/incidents' })).json().incidents;
    const ack = await h.herald.server.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/ack` });
    assert.equal(ack.statusCode, 200);
    assert.deepEqual(ack.json().notified, ['pager']);
    await eventually(() => pd.accepted.some((a) => a.body.event_action === 'acknowledge'), 15_000, 'acknowledge sent');
    const ackBody = pd.accepted.find((a) => a.body.event_action === 'acknowledge')?.body;
    assert.equal(ackBody?.dedup_key, 'db-1', 'the acknowledge names the trigger');
    clock.advance(60 * MIN);
    await drain(h);
    assert.equal(sink.requests.length, 4, 'no repeats after the acknowledgement');
    assert.equal((await h.herald.server.inject({ method: 'POST', url: `/api/v1/incidents/${incident.id}/ack` })).statusCode, 409);
  });

  it('1,000 firing events for 10 groups within group_wait become 10 notifications', async (t) => {
    const clock = new FakeClock();
    const { sink, h } = await setup(t, '{group_by: [service], group_wait: 30s, group_interval: 5m}', { clock });
    // Ten separate requests 3 s apart (virtual), all inside the 30 s wait: only group_wait
    // holds the first ones back until the last have arrived.
    for (let batch = 0; batch < 10; batch++) {
      if (batch > 0) clock.advance(3_000);
      const events = Array.from({ length: 100 }, (_, j) => {
        const i = batch * 100 + j;
        return { title: `error ${i}`, status: 'firing', key: `err-${i}`, labels: { service: `svc-${i % 10}` } };
      });
      assert.equal((await post(h, events)).statusCode, 202);
      await drain(h);
      assert.equal(sink.requests.length, 0, `nothing before group_wait ends (after request ${batch + 1}, ${batch * 3} s in)`);
    }
    clock.advance(3_000);
    await eventually(() => sink.requests.length === 10, 10_000, 'ten group notifications');
    await drain(h);
    assert.equal(sink.requests.length, 10);
    const titles = bodies(sink)
      .map((b) => String(b.event.title))
      .sort();
    assert.deepEqual(
      titles,
      Array.from({ length: 10 }, (_, g) => `[FIRING:100] service=svc-${g}`),
      'each group notified once, with all of its 100 events',
    );
  });

  it('a restart in the middle of group_wait and of repeat_interval still notifies once, on time', async (t) => {
    const dir = tempDir(t);
    const sink = await startSink();
    t.after(() => sink.close());
    const clock = new FakeClock();
    const policy = '{group_wait: 1m, repeat_interval: 10m}';
    const first = await setup(t, policy, { clock, dir, sink });
    await post(first.h, { title: 'disk full', status: 'firing', key: 'disk' });
    clock.advance(30_000);
    await first.h.stop();
    const second = await setup(t, policy, { clock, dir, sink });
    await drain(second.h);
    assert.equal(sink.requests.length, 0, 'group_wait still running after the restart');
    clock.advance(30_000);
    await eventually(() => sink.requests.length === 1, 15_000, 'notified when group_wait ended');
    clock.advance(5 * MIN);
    await second.h.stop();
    const third = await setup(t, policy, { clock, dir, sink });
    await drain(third.h);
    assert.equal(sink.requests.length, 1, 'the repeat waits for its interval across a restart');
    clock.advance(5 * MIN);
    await eventually(() => sink.requests.length === 2, 15_000, 'repeat on time after the restart');
    await drain(third.h);
    assert.equal(sink.requests.length, 2, 'exactly once');
  });

  it('flood guard: beyond max_notifications per window, the rest go out as one digest per window, none dropped', async (t) => {
    const clock = new FakeClock();
    const { sink, h } = await setup(t, '{group_interval: 0s, max_notifications: {count: 3, per: 1m}}', { clock });
    await post(
      h,
      Array.from({ length: 10 }, (_, i) => ({ title: `queue ${i} stuck`, status: 'firing', key: `q-${i}` })),
    );
    await eventually(() => sink.requests.length === 4, 15_000, 'three notifications and one digest');
    await drain(h);
    assert.equal(sink.requests.length, 4);
    const titles = bodies(sink).map((b) => b.event.title);
    assert.equal(titles.filter((x) => x.startsWith('Digest: [FIRING:7]')).length, 1, titles.join(' | '));
    await post(
      h,
      Array.from({ length: 5 }, (_, i) => ({ title: `disk ${i} full`, status: 'firing', key: `d-${i}` })),
    );
    await drain(h);
    assert.equal(sink.requests.length, 4, 'the window is used up: the next ones wait');
    clock.advance(60_000);
    await eventually(() => sink.requests.length === 8, 15_000, 'next window: three more and a digest of two');
    const mentioned = bodies(sink).flatMap((b) => {
      const data = b.event.data as { incidents?: { key: string }[] } | undefined;
      return data?.incidents ? data.incidents.map((i) => i.key) : [b.event.key];
    });
    assert.equal(new Set(mentioned).size, 15, 'every incident was notified once, alone or in a digest');
  });

  it('a Prometheus alert whose endsAt passes without a re-send resolves its incident', async (t) => {
    const clock = new FakeClock();
    const { sink, h } = await setup(t, '{group_interval: 0s}', { clock });
    const alert = {
      labels: { alertname: 'HighLatency', service: 'api' },
      annotations: { summary: 'p99 > 1s' },
      endsAt: new Date(clock.now() + 4 * MIN).toISOString(),
    };
    assert.equal((await h.herald.server.inject({ method: 'POST', url: '/api/v2/alerts', payload: [alert] })).statusCode, 200);
    await eventually(() => sink.requests.length === 1, 15_000, 'firing');
    clock.advance(3 * MIN);
    await drain(h);
    assert.equal(sink.requests.length, 1, 'still firing before endsAt');
    clock.advance(2 * MIN);
    await eventually(() => sink.requests.length === 2, 15_000, 'resolved once endsAt passed');
    assert.equal(bodies(sink)[1]?.event.status, 'resolved');
    assert.equal(bodies(sink)[1]?.event.key, bodies(sink)[0]?.event.key);
  });

  it('times_seen in the rendered Slack message equals the events received for the key', async (t) => {
    const slack = await startFakeSlack();
    t.after(() => slack.close());
    slack.minIntervalMs = 0;
    const clock = new FakeClock();
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: chat, type: slack, url: "${slack.url}${slack.webhookPath}", max_per_second: 100}]
routes: [{name: ops, policy: {repeat_interval: 10m}, receivers: [chat]}]
`,
      { clock },
    );
    for (let i = 0; i < 5; i++) await post(h, { title: 'api-errors: TypeError', status: 'firing', key: 'api-errors' });
    await eventually(() => slack.accepted.length === 1, 15_000, 'first message');
    clock.advance(10 * MIN);
    await eventually(() => slack.accepted.length === 2, 15_000, 'the repeat');
    assert.equal((slack.accepted[1]?.body as { text?: string } | undefined)?.text, '[FIRING] api-errors: TypeError (5 times seen)');
  });

  it('a group notification at Slack: the title states the status once, the colour follows the highest firing member', async (t) => {
    const slack = await startFakeSlack();
    t.after(() => slack.close());
    slack.minIntervalMs = 0;
    const clock = new FakeClock();
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: chat, type: slack, url: "${slack.url}${slack.webhookPath}", max_per_second: 100}]
routes: [{name: ops, policy: {group_by: [service], group_wait: 30s}, receivers: [chat]}]
`,
      { clock },
    );
    await post(h, [
      { title: 'api latency', status: 'firing', key: 'lat', severity: 'warning', labels: { service: 'api' } },
      { title: 'api 5xx', status: 'firing', key: '5xx', severity: 'critical', labels: { service: 'api' } },
      { title: 'api build failed', status: 'firing', key: 'build', labels: { service: 'api' } },
    ]);
    clock.advance(30_000);
    await eventually(() => slack.accepted.length === 1, 15_000, 'the group message');
    const body = slack.accepted[0]?.body as { text?: string; attachments?: { color?: string }[] };
    assert.equal(body.text, '[FIRING:3] service=api', 'not "[FIRING] [FIRING:3] service=api"');
    assert.equal(body.attachments?.[0]?.color, '#D0021B', 'critical: the highest firing member');
  });

  it('routes without a policy still forward every event', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}\ndelivery: {poll_interval: 20ms}\nreceivers: [{name: out, type: webhook, url: "${sink.url}/hook"}]\nroutes: [{receivers: [out]}]\n`,
    );
    for (let i = 0; i < 3; i++) await post(h, { title: 'x', status: 'firing', key: 'same' });
    await eventually(() => sink.requests.length === 3, 15_000, 'three deliveries');
  });
});

describe('who acknowledges and resolves', () => {
  const TOKEN = 'ops-token-0123456789abcdef';
  const auth = { authorization: `Bearer ${TOKEN}` };
  it("records the token's name, or the name given; a bad body is refused and changes nothing; the acknowledge text carries the comment", async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const h = await startHerald(
      t,
      `auth: {tokens: [{name: ops-bot, token: "${TOKEN}", scopes: [admin]}]}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: out, type: webhook, url: "${sink.url}/hook"}]
routes: [{name: ops, policy: {repeat_interval: 1h}, receivers: [out]}]
`,
    );
    const inject = (method: 'GET' | 'POST', url: string, payload?: object) =>
      h.herald.server.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
    for (const key of ['a', 'b']) await inject('POST', '/api/v1/events', { title: `down ${key}`, status: 'firing', key });
    await eventually(async () => (await inject('GET', '/api/v1/incidents')).json().incidents.length === 2, 15_000, 'two incidents');
    const [b, a] = (await inject('GET', '/api/v1/incidents')).json().incidents;

    for (const bad of [{ by: '' }, { by: 'x\ny' }, { comment: 7 }, { who: 'alice' }, { by: 'x'.repeat(257) }]) {
      const res = await inject('POST', `/api/v1/incidents/${a.id}/ack`, bad);
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal(res.json().error, 'invalid_body');
    }
    assert.equal((await inject('GET', `/api/v1/incidents/${a.id}`)).json().state, 'firing', 'nothing stored by refused requests');

    const byToken = await inject('POST', `/api/v1/incidents/${a.id}/ack`);
    assert.equal(byToken.statusCode, 200);
    assert.equal(byToken.json().by, 'ops-bot');
    const named = await inject('POST', `/api/v1/incidents/${b.id}/ack`, { by: 'alice', comment: 'on it' });
    assert.equal(named.json().by, 'alice');
    const shown = (await inject('GET', `/api/v1/incidents/${b.id}`)).json();
    assert.deepEqual([shown.state, shown.acknowledged_by, shown.acknowledged_comment], ['acknowledged', 'alice', 'on it']);
    assert.equal((await inject('GET', `/api/v1/incidents/${a.id}`)).json().acknowledged_by, 'ops-bot');
    const acked = (await inject('GET', '/api/v1/incidents?state=acknowledged')).json().incidents;
    assert.deepEqual(acked.map((i: { id: string }) => i.id).sort(), [a.id, b.id].sort());
    assert.equal((await inject('GET', '/api/v1/incidents?state=firing')).json().incidents.length, 0);
    assert.equal((await inject('GET', '/api/v1/incidents?state=firing&status=firing')).statusCode, 400);

    const resolved = await inject('POST', `/api/v1/incidents/${b.id}/resolve`, { by: 'bob' });
    assert.equal(resolved.json().by, 'bob');
    await inject('POST', `/api/v1/incidents/${a.id}/resolve`);
    const [rb, ra] = (await inject('GET', '/api/v1/incidents?state=resolved')).json().incidents;
    assert.deepEqual([rb.resolved_by, ra.resolved_by], ['bob', 'ops-bot']);
  });
});
