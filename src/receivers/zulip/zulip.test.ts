import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeZulip } from '../../../test/fakes/zulip.js';
import { deliveries, eventually, startHerald, tempDir } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import zulip from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(zulip, {
  templates,
  okBody: '{"result":"success","msg":"","id":42}',
  config: (base) =>
    filledConfig(zulip, { site: base, email: 'bot@example.com', api_key: 'zulipConformanceSecretKey01', channel: 'alerts', max_per_second: 50 }),
  secrets: ['zulipConformanceSecretKey01', Buffer.from('bot@example.com:zulipConformanceSecretKey01').toString('base64')],
  invalidConfigs: [
    {},
    { site: 'https://z.example', email: 'bot@example.com', api_key: 'k' },
    { site: 'https://z.example', email: 'bot@example.com', api_key: 'k', channel: 'a', to: ['x@example.com'] },
    { site: 'https://z.example', email: 'not-an-email', api_key: 'k', channel: 'a' },
    { site: 'https://z.example', email: 'bot@example.com', api_key: '', channel: 'a' },
    { site: 'https://z.example', email: 'bot@example.com', api_key: 'k', to: [] },
  ],
});

const yaml = (fake: { url: string; email: string; apiKey: string }, extra = 'channel: alerts') => `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: z, type: zulip, site: "${fake.url}", email: "${fake.email}", api_key: "${fake.apiKey}", max_per_second: 50, ${extra}}]
routes: [{receivers: [z]}]
`;

describe('zulip receiver', () => {
  it('posts form-encoded with Basic auth to the channel; an incident keeps its first topic through a restart and its resolve', {
    timeout: 30_000,
  }, async (t) => {
    const fake = await startFakeZulip();
    t.after(() => fake.close());
    const dir = tempDir(t);
    const first = await startHerald(t, yaml(fake), { dir });
    await first.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'ping failed',
        status: 'firing',
        severity: 'critical',
        key: 'db-1',
        labels: { env: 'prod' },
        url: 'https://grafana.example/d/1',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(first))[0]?.state === 'succeeded', 5000, 'recorded');
    const got = fake.accepted[0];
    assert.equal(got?.headers.authorization, `Basic ${Buffer.from(`${fake.email}:${fake.apiKey}`).toString('base64')}`);
    assert.equal(got?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(got?.form, {
      content:
        ':red_circle: **[FIRING] db\\-1 down**\n\nping failed\n\n- **env**: prod\n\n*FIRING · critical · key: db\\-1*\n\n[Open](https://grafana.example/d/1)',
      type: 'stream',
      to: 'alerts',
      topic: 'db-1 down',
    });
    await first.stop();
    const second = await startHerald(t, yaml(fake), { dir });
    await second.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 is back', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 2, 5000, 'resolve sent');
    assert.equal(fake.accepted[1]?.form.topic, 'db-1 down', 'the resolve lands in the incident’s topic');
    assert.match(String(fake.accepted[1]?.form.content), /^:check: \*\*\[RESOLVED\] db\\-1 is back\*\*/);
    // After the resolve the key starts afresh.
    await second.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 flapping', status: 'firing', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 3, 5000, 'new trigger sent');
    assert.equal(fake.accepted[2]?.form.topic, 'db-1 flapping');
    assert.ok(fake.accepted.every((a) => !a.serverCut));
  });

  it('direct messages go to `to` as a JSON list; Markdown and @**all** mentions in event values are escaped; content and topic fit the limits', {
    timeout: 20_000,
  }, async (t) => {
    const fake = await startFakeZulip();
    t.after(() => fake.close());
    const send = (config: Partial<Parameters<typeof zulip.create>[0]>, e: Partial<HeraldEvent>) =>
      zulip
        .create(filledConfig(zulip, { site: fake.url, email: fake.email, api_key: fake.apiKey, max_per_second: 50, ...(config as { channel: string }) }), {
          name: 'z',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send(
          {
            id: 'd1',
            receiver: 'z',
            people: [],
            event: { id: 'e1', title: 'x', status: 'firing', labels: {}, received_at: '2026-01-01T00:00:00Z', ...e },
          } satisfies Notification,
          {
            http: loopbackHttpClient(),
            net: loopbackTcpClient(),
            state: memoryState(),
            log: silent,
            clock: systemClock,
            attempt: 1,
            signal: new AbortController().signal,
          },
        );
    await send({ to: ['oncall@example.com', 42] }, { title: '@**all** see [here](https://evil.example)', text: '#**ops** _x_' });
    assert.deepEqual(fake.accepted[0]?.form, {
      content: ':orange_circle: **[FIRING] @\u200b\\*\\*all\\*\\* see \\[here\\]\\(https://evil\\.example\\)**\n\n\\#\\*\\*ops\\*\\* \\_x\\_\n\n*FIRING*',
      type: 'direct',
      to: '["oncall@example.com",42]',
    });
    await send({ channel: 7 }, { title: 'T'.repeat(100), text: 'y'.repeat(12_000) });
    const big = fake.accepted[1];
    assert.equal(big?.serverCut, false, 'Herald cut it, not the server');
    assert.equal([...String(big?.form.topic)].length, 60);
    assert.equal([...String(big?.form.content)].length, 10_000);
    assert.ok(String(big?.form.content).endsWith('… (truncated)'));
  });

  it("answers: wrong key and unknown channel are permanent with Zulip's code; RATE_LIMIT_HIT honours retry-after; 5xx retried", async (t) => {
    const fake = await startFakeZulip();
    t.after(() => fake.close());
    const send = (config: Partial<Parameters<typeof zulip.create>[0]>) =>
      zulip
        .create(filledConfig(zulip, { site: fake.url, email: fake.email, api_key: fake.apiKey, channel: 'alerts', max_per_second: 50, ...config }), {
          name: 'z',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send(
          {
            id: 'd1',
            receiver: 'z',
            people: [],
            event: { id: 'e1', title: 'x', status: 'firing', labels: {}, received_at: '2026-01-01T00:00:00Z' },
          } satisfies Notification,
          {
            http: loopbackHttpClient(),
            net: loopbackTcpClient(),
            state: memoryState(),
            log: silent,
            clock: systemClock,
            attempt: 1,
            signal: new AbortController().signal,
          },
        )
        .catch((e: unknown) => e);
    const key = await send({ api_key: 'zulipWrongSecret77' });
    assert.ok(key instanceof DeliveryError && key.reason === 'auth' && !key.retryable);
    assert.match(key.message, /HTTP 401: not authorized: INVALID_API_KEY Invalid API key/);
    assert.ok(!key.message.includes('zulipWrongSecret77'));
    const channel = await send({ channel: 'nowhere' });
    assert.ok(channel instanceof DeliveryError && channel.reason === 'client' && !channel.retryable);
    assert.match(channel.message, /STREAM_DOES_NOT_EXIST Channel 'nowhere' does not exist/);
    fake.script.push({ status: 200, body: { result: 'error', msg: 'odd', code: 'BAD_REQUEST' } });
    const odd = await send({});
    assert.ok(odd instanceof DeliveryError && !odd.retryable);
    fake.perSecond = 1;
    await send({});
    const limited = await send({});
    assert.ok(limited instanceof DeliveryError && limited.reason === 'rate_limited');
    assert.equal(limited.retryAfterMs, 1500);
    assert.match(limited.message, /RATE_LIMIT_HIT/);
    fake.perSecond = 0;
    fake.script.push({ status: 502, body: 'bad gateway' });
    const down = await send({});
    assert.ok(down instanceof DeliveryError && down.reason === 'server' && down.retryable);
  });
});
