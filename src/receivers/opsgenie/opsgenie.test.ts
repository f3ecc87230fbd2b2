import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeOpsgenie, validateCreate } from '../../../test/fakes/opsgenie.js';
import { deliveries, drain, eventually, startHerald } from '../../../test/helpers/harness.js';

const yaml = (url: string, key: string, extra = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: genie, type: opsgenie, api_key: "${key}", url: "${url}"${extra}}
routes: [{receivers: [genie]}]
`;

const settled = async (h: Awaited<ReturnType<typeof startHerald>>) =>
  eventually(
    async () => {
      const ds = await deliveries(h);
      return ds.length > 0 && ds.every((d) => d.state === 'succeeded' || d.state === 'dead');
    },
    5000,
    'deliveries settled',
  );

describe('opsgenie receiver', () => {
  it('creates an alert: GenieKey auth, alias from the key, priority from severity, labels as tags and details', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeOpsgenie();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      yaml(fake.url, fake.apiKey, ', responders: [{type: team, name: ops}, {type: user, username: "a@example.com"}], tags: [herald]'),
    );
    const { ids } = (
      await h.herald.server.inject({
        method: 'POST',
        url: '/api/v1/events',
        payload: {
          title: 'db-1 down',
          text: 'ping failed',
          status: 'firing',
          severity: 'critical',
          key: 'db-1',
          source: 'grafana',
          labels: { env: 'prod', host: 'db-1' },
          url: 'https://grafana.example/d/1',
        },
      })
    ).json();
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    assert.deepEqual(fake.rejected, []);
    const req = fake.accepted[0];
    assert.equal(req?.path, '/v2/alerts');
    assert.equal(req?.headers.authorization, `GenieKey ${fake.apiKey}`);
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    assert.deepEqual(req?.body, {
      message: 'db-1 down',
      alias: 'db-1',
      description: 'ping failed\n\nhttps://grafana.example/d/1',
      tags: ['herald', 'env:prod', 'host:db-1'],
      details: {
        herald_event_id: ids[0],
        url: 'https://grafana.example/d/1',
        env: 'prod',
        host: 'db-1',
      },
      source: 'grafana',
      priority: 'P1',
      entity: 'db-1',
      responders: [
        { type: 'team', name: 'ops' },
        { type: 'user', username: 'a@example.com' },
      ],
    });
    assert.equal(fake.alerts.get('db-1')?.status, 'open');
    // The key never appears in logs.
    await settled(h);
    assert.ok(!h.logLines.join('\n').includes(fake.apiKey), 'api key not logged');
  });

  it('maps severities to P1/P2/P3/P5', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeOpsgenie();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [
        ...['critical', 'error', 'warning', 'info', undefined].map((severity, i) => ({ title: `s${i}`, key: `s${i}`, severity })),
        // A mail "[Bamboo] PROJ-PLAN-123 failed": firing, no severity.
        { title: '[Bamboo] PROJ-PLAN-123 failed', key: 's5', status: 'firing' },
      ],
    });
    await eventually(() => fake.accepted.length === 6, 5000, 'all accepted');
    const byKey = Object.fromEntries(fake.accepted.map((a) => [a.body.alias, a.body.priority]));
    // effectiveSeverity: a firing event without severity is an error (P2); an info event without one is info (P5).
    assert.deepEqual(byKey, { s0: 'P1', s1: 'P2', s2: 'P3', s3: 'P5', s4: 'P5', s5: 'P2' });
  });

  it('acknowledges and closes by alias; the fake’s alert follows', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeOpsgenie();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey, ', user: Herald'));
    const key = 'disk/db-1 full?';
    for (const e of [
      { title: 'disk full', status: 'firing', key },
      { title: 'disk full', status: 'firing', action: 'acknowledge', key },
      { title: 'disk ok', status: 'resolved', key },
    ]) {
      const before = fake.accepted.length;
      await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: e });
      await eventually(() => fake.accepted.length === before + 1, 5000, 'sent');
      if (e.action) assert.equal(fake.alerts.get(key)?.acknowledged, true, 'acknowledged');
    }
    assert.deepEqual(
      fake.accepted.map((a) => `${a.path}?${a.query}`),
      [
        '/v2/alerts?',
        `/v2/alerts/${encodeURIComponent(key)}/acknowledge?identifierType=alias`,
        `/v2/alerts/${encodeURIComponent(key)}/close?identifierType=alias`,
      ],
    );
    assert.deepEqual(fake.accepted[2]?.body, { source: 'herald', note: 'closed by Herald: disk ok', user: 'Herald' });
    assert.equal(fake.alerts.get(key)?.status, 'closed');
    assert.deepEqual(fake.rejected, []);
  });

  it('422 is dead at once with Opsgenie’s explanation; a wrong key (401) too; no retry', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeOpsgenie();
    t.after(() => fake.close());
    fake.script = [
      {
        status: 422,
        body: {
          message: 'Request body is not processable. Please check the errors.',
          errors: { message: 'Message can not be empty.' },
          took: 0.01,
          requestId: 'r',
        },
      },
    ];
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    const { ids } = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x', status: 'firing' } })).json();
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    await drain(h);
    assert.equal(fake.rejected.length, 1, 'not retried');
    const d = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${ids[0]}` })).json().deliveries[0];
    assert.equal(d.attempts_log[0].status, 422);
    assert.match(d.attempts_log[0].response, /Message can not be empty/);
    assert.match(d.last_error, /Message can not be empty/);

    const wrong = await startFakeOpsgenie();
    t.after(() => wrong.close());
    wrong.apiKey = 'another-key-entirely-000000000000';
    const h2 = await startHerald(t, yaml(wrong.url, 'not-the-right-key-1111111111111'));
    await h2.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h2))[0]?.state === 'dead', 5000, 'dead on 401');
    await drain(h2);
    assert.deepEqual(
      wrong.rejected.map((r) => r.status),
      [401],
    );
    assert.equal((await deliveries(h2))[0]?.attempts, 1);
  });

  it('429 (Retry-After) and 5xx are retried with the same alias; without a key the alias is the delivery id', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeOpsgenie();
    t.after(() => fake.close());
    fake.script = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 500 }, { status: 503 }];
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    const t0 = Date.now();
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'no key', status: 'firing' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 10_000, 'delivered after retries');
    assert.ok(Date.now() - t0 >= 1000, 'waited for Retry-After');
    assert.deepEqual(
      fake.rejected.map((r) => r.status),
      [429, 500, 503],
    );
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 3, 'the 429 used no attempt');
    assert.equal(fake.accepted[0]?.body.alias, d?.id);
  });

  it('cuts message, description, tags and details to Opsgenie’s limits', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeOpsgenie();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    // 25 labels, ten of them 1,000 characters: more tags than allowed, longer tags and details than allowed.
    const labels = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`label${i}`, i < 10 ? 'v'.repeat(1000) : `v${i}`]));
    const key = 'k'.repeat(512);
    const res = await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 't'.repeat(500), text: 'x'.repeat(20_000), key, labels },
    });
    assert.equal(res.statusCode, 202);
    await eventually(() => fake.accepted.length + fake.rejected.length === 1, 5000, 'sent');
    assert.deepEqual(fake.rejected, []);
    const b = fake.accepted[0]?.body as { message: string; description: string; alias: string; tags: string[]; details: Record<string, string> };
    assert.equal(b.message.length, 130);
    assert.ok(b.message.endsWith('… (truncated)'));
    assert.equal(b.description.length, 15_000);
    assert.ok(b.description.endsWith('… (truncated)'));
    assert.equal(b.alias, key, 'a 512-character key is a valid alias as it is');
    assert.equal(b.tags.length, 20);
    assert.ok(b.tags.every((tag) => tag.length <= 50));
    const detailChars = Object.entries(b.details).reduce((n, [k, v]) => n + k.length + v.length, 0);
    assert.ok(detailChars <= 8000 && detailChars > 7000, `details use ${detailChars} of 8,000 characters`);
    assert.deepEqual(validateCreate(b as unknown as Record<string, unknown>), {});
  });
});
