import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakePushover } from '../../../test/fakes/pushover.js';
import { deliveries, eventually, startHerald, tempDir } from '../../../test/helpers/harness.js';

const yaml = (fake: { url: string; token: string; user: string }, extra = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: push, type: pushover, token: "${fake.token}", user: "${fake.user}", url: "${fake.url}", max_per_second: 10${extra}}
routes: [{receivers: [push]}]
`;

describe('pushover receiver', () => {
  it('sends a form-encoded HTML message with title, url and priority from severity', { timeout: 15_000 }, async (t) => {
    const fake = await startFakePushover();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake, ', device: phone, sound: siren'));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'ping <failed> & "lost"',
        status: 'firing',
        severity: 'critical',
        labels: { env: 'prod' },
        url: 'https://grafana.example/d/1',
        occurred_at: '2026-01-01T00:00:00Z',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    assert.deepEqual(fake.rejected, []);
    const a = fake.accepted[0];
    assert.equal(a?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(a?.fields, {
      token: fake.token,
      user: fake.user,
      message: 'ping &lt;failed&gt; &amp; &quot;lost&quot;\n<b>env</b>: prod',
      html: '1',
      title: '[FIRING] db-1 down',
      priority: '1',
      url: 'https://grafana.example/d/1',
      url_title: 'Open',
      timestamp: '1767225600',
      device: 'phone',
      sound: 'siren',
    });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'succeeded');
    const logs = h.logLines.join('\n');
    assert.ok(!logs.includes(fake.token) && !logs.includes(fake.user), 'keys not logged');
  });

  it('maps severities to priorities; emergency (2) carries retry and expire', { timeout: 15_000 }, async (t) => {
    const fake = await startFakePushover();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake, ', priorities: {critical: 2}, retry: 30, expire: 10800'));
    const events = [
      { title: 'c', severity: 'critical', status: 'firing' },
      { title: 'e', severity: 'error', status: 'firing' },
      { title: 'w', severity: 'warning', status: 'firing' },
      { title: 'i', severity: 'info' },
      { title: 'n' },
      { title: 'r', severity: 'critical', status: 'resolved' },
    ];
    for (const e of events) {
      const before = fake.accepted.length;
      await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: e });
      await eventually(() => fake.accepted.length === before + 1, 5000, `accepted ${e.title}`);
    }
    assert.deepEqual(fake.rejected, []);
    assert.deepEqual(
      fake.accepted.map((a) => [a.fields.message, a.fields.priority, a.fields.retry, a.fields.expire]),
      [
        ['c', '2', '30', '10800'],
        ['e', '1', undefined, undefined],
        ['w', '0', undefined, undefined],
        ['i', '-1', undefined, undefined],
        ['n', '-1', undefined, undefined],
        ['r', '-1', undefined, undefined],
      ],
    );
  });

  it('an emergency push keeps its receipts (across a restart) and cancels them when the incident resolves', { timeout: 20_000 }, async (t) => {
    const fake = await startFakePushover();
    t.after(() => fake.close());
    const dir = tempDir(t);
    const cfg = yaml(fake, ', priorities: {critical: 2}, retry: 30, expire: 600');
    const post = (h: Awaited<ReturnType<typeof startHerald>>, payload: object) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });
    const first = await startHerald(t, cfg, { dir });
    await post(first, { title: 'db-1 down', status: 'firing', severity: 'critical', key: 'db-1' });
    await post(first, { title: 'db-1 still down', status: 'firing', severity: 'critical', key: 'db-1' });
    await post(first, { title: 'disk warn', status: 'firing', severity: 'critical', key: 'disk' });
    await eventually(() => fake.receipts.size === 3, 5000, 'three emergency pushes');
    await eventually(async () => (await deliveries(first)).every((d) => d.state === 'succeeded'), 5000, 'recorded');
    await first.stop();
    const second = await startHerald(t, cfg, { dir });
    await post(second, { title: 'db-1 up', status: 'resolved', key: 'db-1' });
    await eventually(() => fake.accepted.length === 4, 5000, 'resolve sent');
    // Pushes of different keys may go out in either order; match receipts by their message.
    const cancelled = Object.fromEntries([...fake.receipts.values()].map((r) => [r.message, r.cancelled]));
    assert.deepEqual(cancelled, { 'db-1 down': true, 'db-1 still down': true, 'disk warn': false }, "both of db-1's receipts cancelled, disk's left ringing");
    assert.equal(fake.accepted[3]?.fields.priority, '-1', 'the resolve itself is a quiet message');
    // A receipt Pushover no longer knows (expired) does not hold the resolve back.
    fake.receipts.clear();
    await post(second, { title: 'disk ok', status: 'resolved', key: 'disk' });
    await eventually(() => fake.accepted.length === 5, 5000, 'second resolve sent');
    assert.deepEqual(
      fake.rejected.map((r) => r.errors[0]),
      ['receipt not found; may be invalid or expired'],
    );
  });

  it('cuts message (HTML kept valid), title and skips a too-long url', { timeout: 15_000 }, async (t) => {
    const fake = await startFakePushover();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake, ', message_template: "<i>{{ event.text }}</i>"'));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'T'.repeat(400), text: '<'.repeat(2000), url: `https://x.example/${'p'.repeat(600)}` },
    });
    await eventually(() => fake.accepted.length + fake.rejected.length === 1, 5000, 'answered');
    assert.deepEqual(fake.rejected, []);
    const f = fake.accepted[0]?.fields ?? {};
    assert.ok((f.message ?? '').length <= 1024 && (f.message ?? '').length > 1000);
    assert.match(f.message ?? '', /&lt;<\/i>… \(truncated\)$/);
    assert.equal(f.title?.length, 250);
    assert.ok(f.title?.endsWith('… (truncated)'));
    assert.equal(f.url, undefined);
  });

  it('400 {status:0, errors} is dead at once with the errors; 5xx is retried', { timeout: 30_000 }, async (t) => {
    const fake = await startFakePushover();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml({ ...fake, user: 'uWrongUserKeyWrongUserKey00000' }));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 1);
    assert.match(d?.last_error ?? '', /user identifier is not a valid user/);
    assert.ok(!(d?.last_error ?? '').includes(fake.token));

    const ok = await startFakePushover();
    t.after(() => ok.close());
    ok.script = [{ status: 500 }];
    const h2 = await startHerald(t, yaml(ok));
    const t0 = Date.now();
    await h2.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'y' } });
    await eventually(async () => (await deliveries(h2))[0]?.state === 'succeeded', 15_000, 'delivered after 500');
    assert.ok(Date.now() - t0 >= 5000, 'waited the 5 s Pushover asks for after a 5xx');
    assert.equal((await deliveries(h2))[0]?.attempts, 2);
  });

  it('429 (monthly quota used up) waits for X-Limit-App-Reset without using an attempt', { timeout: 20_000 }, async (t) => {
    const fake = await startFakePushover();
    t.after(() => fake.close());
    fake.remaining = 0;
    fake.reset = Math.floor(Date.now() / 1000) + 2;
    const h = await startHerald(t, yaml(fake));
    const t0 = Date.now();
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'quota' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 15_000, 'delivered after the reset');
    assert.deepEqual(
      fake.rejected.map((r) => r.status),
      [429],
      'one 429, then nothing until the reset',
    );
    assert.ok(Date.now() - t0 >= 1000);
    assert.equal((await deliveries(h))[0]?.attempts, 1, 'the 429 used no attempt');
  });
});
