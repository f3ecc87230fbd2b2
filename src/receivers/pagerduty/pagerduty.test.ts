import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { describe, it } from 'node:test';
import { event as pdEvent } from '@pagerduty/pdjs';
import { startFakePagerDuty, validateEvent } from '../../../test/fakes/pagerduty.js';
import { deliveries, drain, eventually, startHerald } from '../../../test/helpers/harness.js';

const KEY = 'R0ut1ngK3yR0ut1ngK3yR0ut1ngK3y12';
const yaml = (url: string, extra = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: pager, type: pagerduty, routing_key: "${KEY}", url: "${url}"${extra}}
routes: [{receivers: [pager]}]
`;

describe('pagerduty receiver', () => {
  it('sends what the official @pagerduty/pdjs client sends, and the same fake accepts both', async (t) => {
    const fake = await startFakePagerDuty();
    t.after(() => fake.close());
    const agent = new Agent({ ca: fake.ca, keepAlive: false });
    const official = await pdEvent({
      server: fake.httpsHost,
      agent,
      data: {
        routing_key: KEY,
        event_action: 'trigger',
        dedup_key: 'db-1',
        payload: { summary: 'db-1 down', source: 'db-1', severity: 'critical' },
        links: [{ href: 'https://x.example', text: 'x' }],
      },
    } as Parameters<typeof pdEvent>[0]);
    agent.destroy();
    assert.equal(official.status, 202);
    const h = await startHerald(t, yaml(fake.url));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'ping failed',
        status: 'firing',
        severity: 'critical',
        key: 'db-1',
        source: 'db-1',
        labels: { component: 'postgres' },
        url: 'https://grafana.example/d/1',
      },
    });
    await eventually(() => fake.accepted.length === 2, 5000, 'both accepted');
    assert.deepEqual(fake.rejected, []);
    const [theirs, ours] = fake.accepted;
    assert.equal(ours?.headers['content-type'], theirs?.headers['content-type']);
    for (const k of Object.keys(theirs?.body ?? {})) assert.ok(k in (ours?.body ?? {}), `Herald sends ${k} too`);
    const payload = ours?.body.payload as Record<string, unknown>;
    assert.deepEqual(
      {
        action: ours?.body.event_action,
        dedup: ours?.body.dedup_key,
        summary: payload.summary,
        source: payload.source,
        severity: payload.severity,
        component: payload.component,
      },
      { action: 'trigger', dedup: 'db-1', summary: 'db-1 down', source: 'db-1', severity: 'critical', component: 'postgres' },
    );
    assert.deepEqual(ours?.body.links, [{ href: 'https://grafana.example/d/1', text: 'Open' }]);
  });

  it('400 is dead at once with PagerDuty’s explanation kept; no retry', async (t) => {
    const fake = await startFakePagerDuty();
    t.after(() => fake.close());
    fake.script = [{ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ["'payload.summary' is missing"] } }];
    const h = await startHerald(t, yaml(fake.url));
    const { ids } = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x', status: 'firing' } })).json();
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    await drain(h);
    assert.equal(fake.rejected.length, 1, 'not retried');
    assert.equal(fake.accepted.length, 0);
    const attempt = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${ids[0]}` })).json().deliveries[0].attempts_log[0];
    assert.equal(attempt.status, 400);
    assert.match(attempt.response, /payload\.summary' is missing/);
  });

  it('429 and 5xx are retried with the same dedup_key', async (t) => {
    const fake = await startFakePagerDuty();
    t.after(() => fake.close());
    fake.script = [{ status: 429 }, { status: 500, body: { status: 'error' } }, { status: 503, body: { status: 'error' } }];
    const h = await startHerald(t, yaml(fake.url));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x', status: 'firing' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 10_000, 'delivered after retries');
    assert.deepEqual(
      fake.rejected.map((r) => r.status),
      [429, 500, 503],
    );
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 3, 'the 429 used no attempt');
    assert.equal(fake.accepted[0]?.body.dedup_key, d?.id, 'without an event key the delivery id is the dedup_key, the same on every attempt');
  });

  it('trigger on firing, resolve on resolved (no payload), acknowledge when asked; long keys are hashed', async (t) => {
    const fake = await startFakePagerDuty();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url));
    const longKey = `k${'x'.repeat(300)}`;
    for (const e of [
      { title: 'disk full', status: 'firing', key: 'disk:db-1' },
      { title: 'disk full', status: 'firing', action: 'acknowledge', key: 'disk:db-1' },
      { title: 'disk ok', status: 'resolved', key: 'disk:db-1' },
      { title: 'x'.repeat(1024), text: 'y', status: 'firing', key: longKey },
    ]) {
      await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: e });
      await eventually(() => fake.accepted.length + fake.rejected.length > 0 && (fake.accepted.at(-1)?.body as object) !== undefined, 5000, 'sent');
      await eventually(async () => (await deliveries(h)).every((d) => d.state === 'succeeded'), 5000, 'settled');
    }
    assert.deepEqual(
      fake.accepted.map((a) => a.body.event_action),
      ['trigger', 'acknowledge', 'resolve', 'trigger'],
    );
    assert.equal(fake.accepted[2]?.body.payload, undefined);
    assert.equal(fake.accepted[2]?.body.dedup_key, 'disk:db-1');
    const last = fake.accepted[3]?.body as { dedup_key: string; payload: { summary: string } };
    assert.match(last.dedup_key, /^sha256:[0-9a-f]{64}$/);
    assert.equal(last.payload.summary.length, 1024);
    for (const a of fake.accepted) assert.deepEqual(validateEvent(a.body), []);
  });
});
