import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeNtfy } from '../../../test/fakes/ntfy.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig, type Written } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import ntfy from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(ntfy, {
  templates,
  okBody: '{"id":"sPs71M8A2T","time":1767225600,"event":"message","topic":"alerts","message":"x"}',
  config: (base) => filledConfig(ntfy, { url: `${base}/alerts`, token: 'tk_conformanceSecretToken01', max_per_second: 100 }),
  secrets: ['tk_conformanceSecretToken01'],
  invalidConfigs: [
    {},
    { url: 'https://ntfy.sh/' },
    { url: 'https://ntfy.sh/has%20space' },
    { url: 'https://ntfy.sh/alerts?x=1' },
    { url: 'ftp://ntfy.sh/alerts' },
    { url: 'https://ntfy.sh/alerts', token: 'tk_1', username: 'u', password: 'p' },
    { url: 'https://ntfy.sh/alerts', username: 'u' },
    { url: 'https://ntfy.sh/alerts', priorities: { critical: 6 } },
    { url: 'https://ntfy.sh/alerts', tags: ['a,b'] },
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
const send = (config: Written<Parameters<typeof ntfy.create>[0]>, e: Partial<HeraldEvent>) => {
  const n: Notification = { id: 'd1', receiver: 'n', people: [], event: event(e) };
  return ntfy.create(filledConfig(ntfy, config), { name: 'n', log: silent, templates, clock: systemClock }).send(n, {
    http: loopbackHttpClient(),
    net: loopbackTcpClient(),
    state: memoryState(),
    log: silent,
    clock: systemClock,
    attempt: 1,
    signal: new AbortController().signal,
  });
};

describe('ntfy receiver', () => {
  it('publishes JSON to the server root: topic, title, priority and emoji tag from severity, click, view actions, Bearer token', {
    timeout: 20_000,
  }, async (t) => {
    const fake = await startFakeNtfy();
    t.after(() => fake.close());
    fake.protected.add('ops-alerts');
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: phone, type: ntfy, url: "${fake.url}/ops-alerts", token: "${fake.token}", tags: [herald]}]
routes: [{receivers: [phone]}]
`,
    );
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'Datenbank db-1 ausgefallen ✗',
        text: 'ping failed',
        status: 'firing',
        severity: 'critical',
        url: 'https://grafana.example/d/1',
        links: [{ title: 'Runbook', url: 'https://wiki.example/rb' }],
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded as delivered');
    const got = fake.accepted[0];
    assert.equal(got?.headers.authorization, `Bearer ${fake.token}`);
    assert.equal(got?.headers['content-type'], 'application/json');
    assert.deepEqual(got?.body, {
      topic: 'ops-alerts',
      title: 'Datenbank db-1 ausgefallen ✗',
      message: 'ping failed',
      priority: 5,
      tags: ['rotating_light', 'herald'],
      click: 'https://grafana.example/d/1',
      actions: [{ action: 'view', label: 'Runbook', url: 'https://wiki.example/rb' }],
    });
  });

  it('maps effective severity: firing without severity is error (4), resolved is ok (2) with a check mark; Basic auth; markdown escaped', async (t) => {
    const fake = await startFakeNtfy();
    t.after(() => fake.close());
    fake.protected.add('alerts');
    const config = { url: `${fake.url}/alerts`, username: fake.user, password: fake.password, markdown: true };
    await send(config, { text: '**bold** [x](https://evil.example)' });
    await send(config, { status: 'resolved', severity: 'critical' });
    assert.deepEqual(
      fake.accepted.map((a) => [a.body.title, a.body.message, a.body.priority, a.body.tags, a.body.markdown]),
      [
        ['db-1 down', '\\*\\*bold\\*\\* \\[x\\]\\(https://evil\\.example\\)', 4, ['red_circle'], true],
        ['[RESOLVED] db-1 down', 'db\\-1 down', 2, ['white_check_mark'], true],
      ],
    );
    assert.equal(fake.accepted[0]?.headers.authorization, `Basic ${Buffer.from('phil:mypass-secret').toString('base64')}`);
  });

  it('cuts the message to 4,096 bytes without splitting a character, so ntfy keeps it a message', async (t) => {
    const fake = await startFakeNtfy();
    t.after(() => fake.close());
    await send({ url: `${fake.url}/alerts` }, { text: 'ä'.repeat(5000) });
    const message = String(fake.accepted[0]?.body.message);
    assert.ok(Buffer.byteLength(message) <= 4096 && Buffer.byteLength(message) > 4000, `${Buffer.byteLength(message)} bytes`);
    assert.ok(message.endsWith('… (truncated)') && !message.includes('\uFFFD'));
  });

  it('answers: no or wrong credentials are permanent auth failures with ntfy’s code; 429 waits 5 s without Retry-After; 5xx retried', async (t) => {
    const fake = await startFakeNtfy();
    t.after(() => fake.close());
    fake.protected.add('alerts');
    const none = await send({ url: `${fake.url}/alerts` }, {}).catch((e: unknown) => e);
    assert.ok(none instanceof DeliveryError && none.reason === 'auth' && !none.retryable);
    assert.match(none.message, /HTTP 401: not authorized: unauthorized \(40101\)/);
    const wrong = await send({ url: `${fake.url}/alerts`, token: 'tk_wrongSecret99' }, {}).catch((e: unknown) => e);
    assert.ok(wrong instanceof DeliveryError && wrong.reason === 'auth');
    assert.match(wrong.message, /forbidden \(40301\)/);
    assert.ok(!wrong.message.includes('tk_wrongSecret99'));
    fake.protected.clear();
    fake.perSecond = 1;
    await send({ url: `${fake.url}/alerts`, max_per_second: 100 }, {});
    const limited = await send({ url: `${fake.url}/alerts`, max_per_second: 100 }, {}).catch((e: unknown) => e);
    assert.ok(limited instanceof DeliveryError && limited.reason === 'rate_limited' && limited.retryable);
    assert.equal(limited.retryAfterMs, 5000);
    assert.match(limited.message, /limit reached/);
    fake.perSecond = 0;
    fake.script.push({ status: 502 });
    const server = await send({ url: `${fake.url}/alerts` }, {}).catch((e: unknown) => e);
    assert.ok(server instanceof DeliveryError && server.reason === 'server' && server.retryable);
  });
});
