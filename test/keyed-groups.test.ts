import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeOpsgenie } from './fakes/opsgenie.js';
import { type FakePagerDuty, startFakePagerDuty } from './fakes/pagerduty.js';
import { drain, eventually, FakeClock, type Sink, startHerald, startSink, type TestHerald } from './helpers/harness.js';

/**
 * docs/alerting.md, "Groups and keyed receivers": on a route with group_by, a
 * receiver that dedups by key (PagerDuty here) gets one action per member
 * incident under that member's key — trigger, acknowledge, resolve — while
 * the others (a webhook here) get the group notification. Every key
 * triggered is resolved or acknowledged through the same key, and nothing
 * is resolved or acknowledged that was never triggered (the fake PagerDuty
 * keeps each dedup_key's alert and lists misdirected events).
 */

const MIN = 60_000;
const ROUTING_KEY = 'R0123456789abcdef0123456789abcde';
type T = Parameters<typeof startHerald>[0];

interface Sent {
  event: { title: string; status: string; key: string; severity?: string; type?: string; data?: { incidents?: { key: string }[] } };
}

const bodies = (sink: Sink) => sink.requests.map((r) => JSON.parse(r.body) as Sent);
const api = (h: TestHerald, method: 'GET' | 'POST', url: string, payload?: unknown) =>
  h.herald.server.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const post = (h: TestHerald, events: unknown) => api(h, 'POST', '/api/v1/events', events);
const actions = (pd: FakePagerDuty) => pd.accepted.map((a) => `${a.body.event_action} ${a.body.dedup_key}`);
const fire = (key: string, severity?: string) => ({
  title: `${key} failing`,
  status: 'firing',
  key,
  labels: { service: 'api' },
  ...(severity ? { severity } : {}),
});
const resolve = (key: string) => ({ title: `${key} failing`, status: 'resolved', key, labels: { service: 'api' } });

async function setup(t: T, policy: string) {
  const sink = await startSink();
  t.after(() => sink.close());
  const pd = await startFakePagerDuty();
  t.after(() => pd.close());
  const clock = new FakeClock();
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: chat, type: webhook, url: "${sink.url}/hook"}
  - {name: pager, type: pagerduty, routing_key: ${ROUTING_KEY}, url: "${pd.url}"}
routes:
  - name: ops
    policy: ${policy}
    receivers: [chat, pager]
`,
    { clock },
  );
  return { sink, pd, clock, h };
}

/** The contract, checked against the fake's per-key alerts. */
function assertKeysClosed(pd: FakePagerDuty, keys: string[]) {
  assert.deepEqual(pd.misdirected, [], 'no acknowledge or resolve for a key that was not triggered');
  assert.deepEqual([...pd.alerts.keys()].sort(), [...keys].sort(), `PagerDuty was triggered with the member keys only: ${actions(pd).join(', ')}`);
  assert.deepEqual(pd.open(), [], `every triggered key was resolved: ${actions(pd).join(', ')}`);
}

describe('groups and keyed receivers', () => {
  it('two members fire, a third joins after the first notification, all three resolve: PagerDuty resolves every key it was triggered with', async (t) => {
    const { sink, pd, clock, h } = await setup(t, '{group_by: [service], group_wait: 30s, group_interval: 1m, repeat_interval: 1h}');
    assert.equal((await post(h, [fire('db-a', 'warning'), fire('db-b', 'critical')])).statusCode, 202);
    clock.advance(30_000);
    await eventually(() => sink.requests.length === 1 && pd.accepted.length === 2, 15_000, 'first group notification');
    const first = bodies(sink)[0]?.event;
    assert.equal(first?.title, '[FIRING:2] service=api', 'the webhook gets the group');
    assert.equal(first?.severity, 'critical', 'a group carries its highest firing member severity');
    assert.deepEqual(actions(pd).sort(), ['trigger db-a', 'trigger db-b'], 'PagerDuty gets one trigger per member, under its key');

    assert.equal((await post(h, fire('db-c'))).statusCode, 202);
    clock.advance(MIN);
    await eventually(() => sink.requests.length === 2 && pd.accepted.length === 3, 15_000, 'the member that joined later');
    assert.equal(actions(pd)[2], 'trigger db-c');

    assert.equal((await post(h, [resolve('db-a'), resolve('db-b'), resolve('db-c')])).statusCode, 202);
    clock.advance(MIN);
    await eventually(() => sink.requests.length === 3 && pd.accepted.length === 6, 15_000, 'the resolve of the group');
    assert.equal(bodies(sink)[2]?.event.title, '[RESOLVED:3] service=api');
    assert.deepEqual(actions(pd).slice(3).sort(), ['resolve db-a', 'resolve db-b', 'resolve db-c']);
    await drain(h);
    assert.equal(pd.accepted.length, 6, 'nothing more');
    assertKeysClosed(pd, ['db-a', 'db-b', 'db-c']);
  });

  it('a silence and send_resolved: false mute the chat, but never keep a triggered key open; a key muted from the start is never resolved', async (t) => {
    const { sink, pd, clock, h } = await setup(t, '{group_by: [service], group_wait: 30s, group_interval: 1m, repeat_interval: 1h, send_resolved: false}');
    await post(h, fire('db-a'));
    clock.advance(30_000);
    await eventually(() => pd.accepted.length === 1 && sink.requests.length === 1, 15_000, 'db-a triggered');
    const silence = await api(h, 'POST', '/api/v1/silences', { matchers: ['service="api"'], duration: '2h', author: 'alice', comment: 'maintenance' });
    assert.equal(silence.statusCode, 201, silence.body);
    await post(h, fire('db-b'));
    clock.advance(MIN);
    await eventually(
      async () => (await api(h, 'GET', '/api/v1/deliveries?state=suppressed')).json().deliveries.length === 2,
      15_000,
      'db-b muted for both receivers',
    );
    await post(h, [resolve('db-a'), resolve('db-b')]);
    clock.advance(MIN);
    await eventually(() => pd.accepted.length === 2, 15_000, 'the resolve of db-a');
    await drain(h);
    assert.deepEqual(actions(pd), ['trigger db-a', 'resolve db-a'], 'resolved although silenced and send_resolved is false; db-b never reached PagerDuty');
    assert.equal(sink.requests.length, 1, 'the chat heard neither the muted trigger nor a resolve (send_resolved: false)');
    assertKeysClosed(pd, ['db-a']);
  });

  it('a key muted at first is triggered by the first repeat after the silence ends, and then resolved', async (t) => {
    const { sink, pd, clock, h } = await setup(t, '{group_by: [service], repeat_interval: 10m}');
    const silence = await api(h, 'POST', '/api/v1/silences', { matchers: ['key="db-a"'], duration: '5m', author: 'alice', comment: 'deploy' });
    assert.equal(silence.statusCode, 201, silence.body);
    await post(h, fire('db-a', 'critical'));
    await eventually(
      async () => (await api(h, 'GET', '/api/v1/deliveries?state=suppressed')).json().deliveries.length === 2,
      15_000,
      'the first notice muted for both receivers',
    );
    clock.advance(10 * MIN);
    await eventually(() => pd.accepted.length === 1 && sink.requests.length === 1, 15_000, 'the repeat after the silence ended');
    assert.deepEqual(actions(pd), ['trigger db-a']);
    await post(h, resolve('db-a'));
    await eventually(() => pd.accepted.length === 2, 15_000, 'the resolve');
    assertKeysClosed(pd, ['db-a']);
  });

  it('resolved by hand: PagerDuty and the chat get the same one resolved notice', async (t) => {
    const { sink, pd, clock, h } = await setup(t, '{group_by: [service], repeat_interval: 1h}');
    await post(h, fire('db-a'));
    await eventually(() => pd.accepted.length === 1 && sink.requests.length === 1, 15_000, 'triggered');
    const [incident] = (await api(h, 'GET', '/api/v1/incidents?status=firing')).json().incidents as { id: string }[];
    assert.equal((await api(h, 'POST', `/api/v1/incidents/${incident?.id}/resolve`)).statusCode, 200);
    clock.advance(MIN);
    await eventually(() => pd.accepted.length === 2 && sink.requests.length === 2, 15_000, 'resolved at both');
    assert.equal(bodies(sink)[1]?.event.status, 'resolved');
    assertKeysClosed(pd, ['db-a']);
    assert.equal(await h.herald.storeForTests().count('events'), 2, 'the firing event and one resolved copy, shared by both receivers');
  });

  it('acknowledging goes to the keys PagerDuty was triggered with; an incident acknowledged before its first notice is acknowledged right after its trigger', async (t) => {
    const { pd, clock, h } = await setup(t, '{group_by: [service], group_wait: 30s, group_interval: 1m, repeat_interval: 1h}');
    await post(h, [fire('db-a'), fire('db-b')]);
    const incidents = (await api(h, 'GET', '/api/v1/incidents?status=firing')).json().incidents as { id: string; key: string }[];
    const id = (key: string) => incidents.find((i) => i.key === key)?.id;
    const early = await api(h, 'POST', `/api/v1/incidents/${id('db-a')}/ack`);
    assert.equal(early.statusCode, 200, early.body);
    assert.deepEqual(early.json().notified, [], 'nothing triggered yet: nothing to acknowledge now');
    await drain(h);
    assert.equal(pd.accepted.length, 0, 'no acknowledge for a key never triggered');
    clock.advance(30_000);
    await eventually(() => pd.accepted.length === 3, 15_000, 'two triggers and the acknowledge');
    assert.deepEqual(actions(pd).sort(), ['acknowledge db-a', 'trigger db-a', 'trigger db-b']);
    assert.ok(actions(pd).indexOf('trigger db-a') < actions(pd).indexOf('acknowledge db-a'), 'the acknowledge follows its trigger');
    const late = await api(h, 'POST', `/api/v1/incidents/${id('db-b')}/ack`);
    assert.deepEqual(late.json().notified, ['pager']);
    await eventually(() => pd.accepted.length === 4, 15_000, 'the acknowledge of db-b');
    assert.equal(actions(pd)[3], 'acknowledge db-b');
    assert.deepEqual(pd.misdirected, []);
    assert.equal(pd.alerts.get('db-a')?.state, 'acknowledged');
    assert.equal(pd.alerts.get('db-b')?.state, 'acknowledged');
    await post(h, [resolve('db-a'), resolve('db-b')]);
    clock.advance(MIN);
    await eventually(() => pd.accepted.length === 6, 15_000, 'both resolved');
    assertKeysClosed(pd, ['db-a', 'db-b']);
  });

  it('flood guard: the chat gets a digest, PagerDuty one trigger and one resolve per incident under its key', async (t) => {
    const { sink, pd, clock, h } = await setup(t, '{group_interval: 0s, max_notifications: {count: 1, per: 1m}}');
    const keys = ['q-1', 'q-2', 'q-3', 'q-4'];
    await post(
      h,
      keys.map((k) => fire(k)),
    );
    await eventually(() => sink.requests.length === 2 && pd.accepted.length === 4, 15_000, 'one notification and one digest; four triggers');
    assert.equal(bodies(sink).filter((b) => b.event.title.startsWith('Digest: [FIRING:3]')).length, 1);
    assert.deepEqual(
      actions(pd).sort(),
      keys.map((k) => `trigger ${k}`),
    );
    clock.advance(MIN);
    await post(
      h,
      keys.map((k) => resolve(k)),
    );
    await eventually(() => pd.accepted.length === 8, 15_000, 'four resolves');
    assertKeysClosed(pd, keys);
  });

  it('Opsgenie: one create per member under its alias, the acknowledge and the close of each; nothing closed that was not created', async (t) => {
    const genie = await startFakeOpsgenie();
    t.after(() => genie.close());
    const clock = new FakeClock();
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: genie, type: opsgenie, api_key: "${genie.apiKey}", url: "${genie.url}"}
routes:
  - name: ops
    policy: {group_by: [service], group_wait: 30s, group_interval: 1m, repeat_interval: 1h}
    receivers: [genie]
`,
      { clock },
    );
    const sent = () =>
      genie.accepted.map((a) => (a.path === '/v2/alerts' ? `create ${a.body.alias}` : a.path.replace(/^\/v2\/alerts\/([^/]+)\/(\w+)$/, '$2 $1')));
    await post(h, [fire('db-a'), fire('db-b')]);
    clock.advance(30_000);
    await eventually(() => genie.accepted.length === 2, 15_000, 'two creates');
    await post(h, fire('db-c'));
    clock.advance(MIN);
    await eventually(() => genie.accepted.length === 3, 15_000, 'the member that joined later');
    const [b] = ((await api(h, 'GET', '/api/v1/incidents?status=firing')).json().incidents as { id: string; key: string }[]).filter((i) => i.key === 'db-b');
    assert.deepEqual((await api(h, 'POST', `/api/v1/incidents/${b?.id}/ack`)).json().notified, ['genie']);
    await eventually(() => genie.accepted.length === 4, 15_000, 'the acknowledge');
    await post(h, [resolve('db-a'), resolve('db-b'), resolve('db-c')]);
    clock.advance(MIN);
    await eventually(() => genie.accepted.length === 7, 15_000, 'three closes');
    assert.deepEqual(sent().sort(), ['acknowledge db-b', 'close db-a', 'close db-b', 'close db-c', 'create db-a', 'create db-b', 'create db-c']);
    assert.deepEqual(genie.misdirected, []);
    assert.deepEqual([...genie.alerts.values()].map((a) => [a.alias, a.status]).sort(), [
      ['db-a', 'closed'],
      ['db-b', 'closed'],
      ['db-c', 'closed'],
    ]);
    assert.equal(genie.alerts.get('db-b')?.acknowledged, true);
  });
});
