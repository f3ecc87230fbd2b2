import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeIncidentIo } from '../../../test/fakes/incidentio.js';
import { deliveries, eventually, startHerald, type TestHerald } from '../../../test/helpers/harness.js';

const yaml = (fake: { url: string; sourceId: string }, token: string, extra = '', route = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: inc, type: incidentio, alert_source_config_id: ${fake.sourceId}, token: "${token}", url: "${fake.url}"${extra}}
routes: [{name: ops, receivers: [inc]${route}}]
`;
const post = (h: TestHerald, payload: unknown) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: payload as object });

describe('incidentio receiver', () => {
  it('sends an alert event: Bearer token, the source id in the path, dedup key from the event key, severity in metadata', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeIncidentIo();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake, fake.token, ', metadata: {team: payments}'));
    const { ids } = (
      await post(h, {
        title: 'checkout 5xx above 2%',
        text: 'error rate 3.1%',
        status: 'firing',
        key: 'checkout-5xx',
        source: 'grafana',
        labels: { service: 'checkout' },
        url: 'https://grafana.example/d/2',
        links: [{ title: 'runbook', url: 'https://wiki.example/rb/checkout' }],
      })
    ).json();
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    assert.deepEqual(fake.rejected, []);
    const [req] = fake.accepted;
    assert.equal(req?.path, `/v2/alert_events/http/${fake.sourceId}`);
    assert.equal(req?.headers.authorization, `Bearer ${fake.token}`);
    assert.equal(req?.headers['content-type'], 'application/json');
    assert.deepEqual(req?.body, {
      title: 'checkout 5xx above 2%',
      status: 'firing',
      deduplication_key: 'checkout-5xx',
      description: 'error rate 3.1%\n\n[runbook](https://wiki.example/rb/checkout)',
      source_url: 'https://grafana.example/d/2',
      metadata: { team: 'payments', severity: 'error', herald_event_id: ids[0], labels: { service: 'checkout' }, source: 'grafana' },
    });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'succeeded');
    assert.ok(!h.logLines.join('\n').includes(fake.token), 'token never logged');
  });

  it('an incident fires, repeats and resolves under its own key; the alert follows', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeIncidentIo();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake, fake.token, '', ', policy: {repeat_interval: 1h, group_interval: 0s}'));
    await post(h, { title: 'queue backlog', status: 'firing', severity: 'warning', key: 'queue/jobs' });
    await eventually(() => fake.alerts.get('queue/jobs')?.status === 'firing', 10_000, 'firing');
    await post(h, { title: 'queue backlog', status: 'resolved', key: 'queue/jobs' });
    await eventually(() => fake.alerts.get('queue/jobs')?.status === 'resolved', 10_000, 'resolved');
    assert.deepEqual(
      fake.accepted.map((a) => [a.body.status, a.body.deduplication_key, (a.body.metadata as { severity: string }).severity]),
      [
        ['firing', 'queue/jobs', 'warning'],
        ['resolved', 'queue/jobs', 'ok'],
      ],
    );
  });

  it('400 validation errors are dead at once with incident.io’s field errors; a wrong token (401) too, never echoed', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeIncidentIo();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake, fake.token, ', title_template: "{% if false %}x{% endif %}  "'));
    // An empty rendered title falls back to the event title, so the fake sees a valid one; force a 400 through the script.
    fake.script = [
      {
        status: 400,
        body: {
          type: 'validation_error',
          status: 400,
          request_id: 'r1',
          errors: [{ code: 'is_required', message: 'title is required', source: { field: 'title' } }],
        },
      },
    ];
    await post(h, { title: 'x', status: 'firing' });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.equal(fake.rejected.length, 1, 'not retried');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /HTTP 400: validation_error \(title: title is required\)/);

    const wrong = 'inc_src_tok_wrong_000000000000';
    const h2 = await startHerald(t, yaml(fake, wrong));
    await post(h2, { title: 'x', status: 'firing' });
    await eventually(async () => (await deliveries(h2))[0]?.state === 'dead', 5000, 'dead on 401');
    const [d] = await deliveries(h2);
    assert.equal(d?.attempts, 1);
    assert.match(d?.last_error ?? '', /HTTP 401: not authorized: authentication_error/);
    assert.ok(!h2.logLines.join('\n').includes(wrong));
  });

  it('429 (Retry-After) and 5xx are retried with the same deduplication key; without a key it is the delivery id', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeIncidentIo();
    t.after(() => fake.close());
    fake.script = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 503 }];
    const h = await startHerald(t, yaml(fake, fake.token));
    const t0 = Date.now();
    await post(h, { title: 'no key', status: 'info' });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 10_000, 'delivered after retries');
    assert.ok(Date.now() - t0 >= 1000, 'waited for Retry-After');
    assert.deepEqual(
      fake.rejected.map((r) => r.status),
      [429, 503],
    );
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 2, 'the 429 used no attempt');
    assert.equal(fake.accepted[0]?.body.deduplication_key, d?.id);
    assert.equal(fake.accepted[0]?.body.status, 'firing', 'an info event opens an alert (incident.io has only firing/resolved)');
    assert.equal((fake.accepted[0]?.body.metadata as { severity?: string } | undefined)?.severity, 'info');
  });
});
