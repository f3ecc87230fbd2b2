import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeGotify } from '../../../test/fakes/gotify.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig, type Written } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import gotify from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(gotify, {
  templates,
  okBody: '{"id":1,"appid":1,"message":"x","title":"t","priority":10,"date":"2026-01-01T00:00:00Z"}',
  config: (base) => filledConfig(gotify, { url: base, token: 'AgotifySecretToken01', max_per_second: 100 }),
  secrets: ['AgotifySecretToken01'],
  invalidConfigs: [
    {},
    { url: 'https://g.example' },
    { url: 'ftp://g.example', token: 't' },
    { url: 'https://g.example', token: '' },
    { url: 'https://g.example', token: 't', priorities: { critical: 11 } },
    { url: 'https://g.example', token: 't', priorities: { fatal: 5 } },
  ],
});

const event = (e: Partial<HeraldEvent>): HeraldEvent => ({
  id: 'e1',
  title: 'db-1 down',
  status: 'firing',
  labels: {},
  received_at: '2026-01-01T00:00:00Z',
  ...e,
});
const send = (config: Written<Parameters<typeof gotify.create>[0]>, e: Partial<HeraldEvent>) => {
  const n: Notification = { id: 'd1', receiver: 'g', people: [], event: event(e) };
  return gotify.create(filledConfig(gotify, config), { name: 'g', log: silent, templates, clock: systemClock }).send(n, {
    http: loopbackHttpClient(),
    net: loopbackTcpClient(),
    state: memoryState(),
    log: silent,
    clock: systemClock,
    attempt: 1,
    signal: new AbortController().signal,
  });
};

describe('gotify receiver', () => {
  it('posts title, message, priority and extras with X-Gotify-Key, from a routed event', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeGotify();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: phone, type: gotify, url: "${fake.url}/", token: "${fake.token}", markdown: true}]
routes: [{receivers: [phone]}]
`,
    );
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        status: 'firing',
        text: 'see [here](https://evil.example) **now**',
        severity: 'critical',
        url: 'https://grafana.example/d/1',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded as delivered');
    const got = fake.accepted[0];
    assert.equal(got?.headers['x-gotify-key'], fake.token);
    assert.equal(got?.headers['content-type'], 'application/json');
    assert.deepEqual(got?.body, {
      title: '[FIRING] db-1 down',
      message: 'see \\[here\\]\\(https://evil\\.example\\) \\*\\*now\\*\\*',
      priority: 10,
      extras: { 'client::display': { contentType: 'text/markdown' }, 'client::notification': { click: { url: 'https://grafana.example/d/1' } } },
    });
  });

  it('maps the effective severity to a priority: no severity while firing is error, resolved is ok; overrides apply', async (t) => {
    const fake = await startFakeGotify();
    t.after(() => fake.close());
    const config = { url: fake.url, token: fake.token, priorities: { warning: 6 } };
    await send(config, {});
    await send(config, { status: 'resolved', severity: 'critical' });
    await send(config, { severity: 'warning' });
    await send(config, { status: undefined as never, severity: undefined });
    assert.deepEqual(
      fake.accepted.map((a) => [a.body.priority, a.body.message, (a.body.extras as Record<string, { contentType?: string }>)['client::display']?.contentType]),
      [
        [8, 'db-1 down', 'text/plain'],
        [2, 'db-1 down', 'text/plain'],
        [6, 'db-1 down', 'text/plain'],
        [3, 'db-1 down', 'text/plain'],
      ],
    );
  });

  it("answers: a wrong token is a permanent auth failure keeping Gotify's text; 400 permanent; 429 and 5xx retried", async (t) => {
    const fake = await startFakeGotify();
    t.after(() => fake.close());
    const wrong = await send({ url: fake.url, token: 'wrong-secret-token-9' }, {}).catch((e: unknown) => e);
    assert.ok(wrong instanceof DeliveryError);
    assert.equal(wrong.reason, 'auth');
    assert.equal(wrong.retryable, false);
    assert.match(wrong.message, /HTTP 401: not authorized: Unauthorized: you need to provide a valid access token/);
    assert.ok(!wrong.message.includes('wrong-secret-token-9') && !(wrong.response ?? '').includes('wrong-secret-token-9'));
    const cases: [number, Record<string, string>, string, boolean][] = [
      [400, {}, 'client', false],
      [429, { 'retry-after': '3' }, 'rate_limited', true],
      [503, {}, 'server', true],
    ];
    for (const [status, headers, reason, retryable] of cases) {
      fake.script.push({ status, headers, body: { error: 'Scripted', errorCode: status, errorDescription: `answer ${status}` } });
      const err = await send({ url: fake.url, token: fake.token }, {}).catch((e: unknown) => e);
      assert.ok(err instanceof DeliveryError, `HTTP ${status}`);
      assert.equal(err.reason, reason, `HTTP ${status}`);
      assert.equal(err.retryable, retryable, `HTTP ${status}`);
      assert.match(err.message, new RegExp(`answer ${status}`));
      if (status === 429) assert.equal(err.retryAfterMs, 3000);
    }
  });
});
