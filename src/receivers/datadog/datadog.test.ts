import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { client, v1 } from '@datadog/datadog-api-client';
import { startFakeDatadog, validateDatadogEvent } from '../../../test/fakes/datadog.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';

const yaml = (url: string, key: string, extra = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms]}
receivers:
  - {name: dd, type: datadog, api_key: "${key}", url: "${url}"${extra}}
routes: [{receivers: [dd]}]
`;

describe('datadog receiver', () => {
  it('sends what the official @datadog/datadog-api-client sends, and the same fake accepts both', async (t) => {
    const fake = await startFakeDatadog();
    t.after(() => fake.close());
    const configuration = client.createConfiguration({
      authMethods: { apiKeyAuth: fake.apiKey },
      enableRetry: false,
      baseServer: new client.ServerConfiguration(fake.url, {}),
    });
    await new v1.EventsApi(configuration).createEvent({
      body: { title: 'deploy', text: 'done', alertType: 'info', tags: ['env:prod'], aggregationKey: 'deploy:api', dateHappened: Math.floor(Date.now() / 1000) },
    });
    const h = await startHerald(t, yaml(fake.url, fake.apiKey));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'api 5xx rate high',
        text: 'p99 over SLO',
        status: 'firing',
        severity: 'critical',
        key: 'api-5xx',
        source: 'grafana',
        labels: { env: 'prod', team: 'core ops', host: 'web-1' },
      },
    });
    await eventually(() => fake.accepted.length === 2, 5000, 'both accepted');
    assert.deepEqual(fake.rejected, []);
    const [theirs, ours] = fake.accepted;
    assert.equal(ours?.headers['content-type'], theirs?.headers['content-type']);
    assert.equal(typeof ours?.headers['dd-api-key'], 'string');
    for (const k of Object.keys(theirs?.body ?? {})) assert.ok(k in (ours?.body ?? {}), `Herald sends ${k} too`);
    assert.deepEqual(
      { title: ours?.body.title, alert: ours?.body.alert_type, agg: ours?.body.aggregation_key, host: ours?.body.host, tags: ours?.body.tags },
      {
        title: '[FIRING] api 5xx rate high',
        alert: 'error',
        agg: 'api-5xx',
        host: 'web-1',
        tags: ['env:prod', 'team:core_ops', 'host:web-1', 'source:grafana'],
      },
    );
  });

  it('a firing event without severity is alert_type error; a label and a configured tag that agree are one tag', async (t) => {
    const fake = await startFakeDatadog();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey, ', tags: ["team:platform", "Env:Prod", "herald"]'));
    // What the SMTP source makes of a mail "[Bamboo] PROJ-PLAN-123 failed": firing, no severity.
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: '[Bamboo] PROJ-PLAN-123 failed',
        status: 'firing',
        source: 'smtp',
        key: 'bamboo:PROJ-PLAN-123',
        labels: { team: 'platform', env: 'prod' },
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    const b = fake.accepted[0]?.body as { alert_type: string; tags: string[] };
    assert.deepEqual(validateDatadogEvent(b), []);
    assert.equal(b.alert_type, 'error');
    assert.deepEqual(b.tags, ['team:platform', 'env:prod', 'source:smtp', 'herald'], 'each tag once (Datadog compares them lowercased)');
  });

  it('truncates title and text to the documented limits with a marker; resolved is success', async (t) => {
    const fake = await startFakeDatadog();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.apiKey, ', markdown: true'));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 't'.repeat(300), text: `*${'x'.repeat(6000)}`, status: 'resolved', key: 'k'.repeat(150) },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    const b = fake.accepted[0]?.body as { title: string; text: string; alert_type: string; aggregation_key: string };
    assert.deepEqual(validateDatadogEvent(b), []);
    assert.equal(b.title.length, 100);
    assert.ok(b.title.endsWith('… (truncated by Herald)'));
    assert.ok(b.text.length <= 4000);
    assert.ok(b.text.startsWith('%%% \n\\*x'), 'Markdown from the event is escaped');
    assert.ok(b.text.includes('… (truncated by Herald)\n %%%'));
    assert.equal(b.alert_type, 'success');
    assert.ok(b.aggregation_key.length <= 100);
  });

  it('403 is a permanent auth failure and the key never appears in errors; 429/5xx are retried', async (t) => {
    const fake = await startFakeDatadog();
    t.after(() => fake.close());
    const h = await startHerald(t, `${yaml(fake.url, 'wrongkey0123456789abcdef01234567')}`);
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /HTTP 403: not authorized/);
    assert.ok(!h.logLines.join('\n').includes('wrongkey0123456789abcdef01234567'));

    const fake2 = await startFakeDatadog();
    t.after(() => fake2.close());
    fake2.script = [{ status: 429, headers: { 'retry-after': '0' } }, { status: 503 }];
    const h2 = await startHerald(t, yaml(fake2.url, fake2.apiKey));
    await h2.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'y' } });
    await eventually(async () => (await deliveries(h2))[0]?.state === 'succeeded', 5000, 'delivered after retries');
    assert.deepEqual(
      fake2.rejected.map((r) => r.status),
      [429, 503],
    );
  });

  it('picks the API host from the site', async (t) => {
    const h = await startHerald(t, 'receivers: [{name: dd, type: datadog, api_key: abc123abc123, site: EU}]\nroutes: [{receivers: [dd]}]\n');
    const res = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/routes/test', payload: { title: 'x' } })).json();
    assert.equal(res.receivers[0].output[0].request.url, 'https://api.datadoghq.eu/api/v1/events');
    assert.equal(res.receivers[0].output[0].request.headers['dd-api-key'], '***');
  });
});
