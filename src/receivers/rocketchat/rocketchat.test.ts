import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, type Person, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeRocketChat } from '../../../test/fakes/rocketchat.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig, type Written } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import rocketchat from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(rocketchat, {
  templates,
  okBody: '{"success":true}',
  config: (base) => filledConfig(rocketchat, { url: `${base}/hooks/6dNRTbo9KCnDQPdrx/rcSecretToken0123456789`, max_per_second: 100 }),
  secrets: ['rcSecretToken0123456789'],
  invalidConfigs: [
    {},
    { url: 'ftp://chat.example/hooks/a/b' },
    { url: 'https://chat.example' },
    { url: 'https://chat.example/api/v1/chat.postMessage' },
    { url: 'https://chat.example/hooks/a/b', channel: 'general' },
    { url: 'https://chat.example/hooks/a/b', emoji: 'fire' },
    { url: 'https://chat.example/hooks/a/b', max_per_second: 0 },
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
const send = (config: Written<Parameters<typeof rocketchat.create>[0]>, e: Partial<HeraldEvent>) => {
  const n: Notification = { id: 'd1', receiver: 'rc', people: [], event: event(e) };
  return rocketchat.create(filledConfig(rocketchat, config), { name: 'rc', log: silent, templates, clock: systemClock }).send(n, {
    http: loopbackHttpClient(),
    net: loopbackTcpClient(),
    state: memoryState(),
    log: silent,
    clock: systemClock,
    attempt: 1,
    signal: new AbortController().signal,
  });
};

describe('rocketchat receiver', () => {
  it('posts bold title, text and a severity-coloured attachment with fields and links; overrides go along', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeRocketChat();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: rc, type: rocketchat, url: "${fake.url}${fake.hookPath}", channel: "#alerts", alias: Herald, emoji: ":rotating_light:"}]
routes: [{receivers: [rc]}]
`,
    );
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'ping failed',
        status: 'firing',
        severity: 'warning',
        key: 'db-1',
        labels: { env: 'prod' },
        url: 'https://grafana.example/d/1',
        links: [{ title: 'Runbook', url: 'https://wiki.example/rb(1)' }],
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded');
    const got = fake.accepted[0];
    assert.equal(got?.headers['content-type'], 'application/json');
    assert.deepEqual(got?.body, {
      text: '*[FIRING] db-1 down*\nping failed',
      channel: '#alerts',
      alias: 'Herald',
      emoji: ':rotating_light:',
      attachments: [
        {
          color: '#F2C744',
          title: 'Open',
          title_link: 'https://grafana.example/d/1',
          text: 'FIRING · warning · key: db-1\n[Runbook](https://wiki.example/rb%281%29)',
          fields: [{ short: true, title: 'env', value: 'prod' }],
        },
      ],
    });
  });

  it('defuses @all, @here, @user, #channel, links and <url|title> in event values; colour follows effective severity', async (t) => {
    const fake = await startFakeRocketChat();
    t.after(() => fake.close());
    await send(
      { url: `${fake.url}${fake.hookPath}` },
      {
        title: '@all see [here](https://evil.example)',
        text: 'ping @here @alice #general <https://evil.example|click> mail ops@example.com',
        labels: { owner: '@all' },
      },
    );
    await send({ url: `${fake.url}${fake.hookPath}` }, { status: 'resolved' });
    const [first, resolved] = fake.accepted;
    assert.equal(
      first?.body.text,
      '*[FIRING] @\u200ball see [here]\u200b(https://evil.example)*\nping @\u200bhere @\u200balice #\u200bgeneral <\u200bhttps://evil.example|click> mail ops@example.com',
    );
    const att = (first?.body.attachments as { color: string; fields: { value: string }[] }[] | undefined)?.[0];
    assert.equal(att?.fields[0]?.value, '@\u200ball');
    assert.equal(att?.color, '#E8590C', 'firing without severity is error');
    assert.equal((resolved?.body.attachments as { color: string }[] | undefined)?.[0]?.color, '#2EB67D');
  });

  it('mentions the people a route attaches by their rocketchat username, kept whole when the text is cut', async (t) => {
    const fake = await startFakeRocketChat();
    t.after(() => fake.close());
    const people: Person[] = [
      { name: 'alice', contacts: { rocketchat: '@alice.b' } },
      { name: 'bob', contacts: { rocketchat: 'bob smith' } },
      { name: 'carol', contacts: { email: 'carol@example.com' } },
    ];
    const go = (text: string) =>
      rocketchat
        .create(filledConfig(rocketchat, { url: `${fake.url}${fake.hookPath}`, max_per_second: 100 }), {
          name: 'rc',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send({ id: 'd1', receiver: 'rc', people, event: event({ text }) } satisfies Notification, {
          http: loopbackHttpClient(),
          net: loopbackTcpClient(),
          state: memoryState(),
          log: silent,
          clock: systemClock,
          attempt: 1,
          signal: new AbortController().signal,
        });
    await go('@all short');
    assert.equal(fake.accepted[0]?.body.text, '*[FIRING] db-1 down*\n@\u200ball short\ncc @alice.b');
    await go('y'.repeat(6000));
    const text = String(fake.accepted[1]?.body.text);
    assert.equal(text.length, 5000);
    assert.ok(text.endsWith('… (truncated)\ncc @alice.b'));
  });

  it('cuts text to 5,000 characters (Message_MaxAllowedSize) with a marker', async (t) => {
    const fake = await startFakeRocketChat();
    t.after(() => fake.close());
    await send({ url: `${fake.url}${fake.hookPath}` }, { text: 'x'.repeat(6000) });
    const text = String(fake.accepted[0]?.body.text);
    assert.equal(text.length, 5000);
    assert.ok(text.endsWith('… (truncated)'));
  });

  it('answers: a wrong token is permanent without leaking it; success:false on 200 fails; 429 waits for X-RateLimit-Reset; 5xx retried', async (t) => {
    const fake = await startFakeRocketChat();
    t.after(() => fake.close());
    const wrong = await send({ url: `${fake.url}/hooks/6dNRTbo9KCnDQPdrx/wrongSecretToken99` }, {}).catch((e: unknown) => e);
    assert.ok(wrong instanceof DeliveryError && wrong.reason === 'client' && !wrong.retryable);
    assert.match(wrong.message, /HTTP 404: Invalid integration id or token provided\./);
    assert.ok(!wrong.message.includes('wrongSecretToken99'));
    const channel = await send({ url: `${fake.url}${fake.hookPath}`, channel: '#nowhere' }, {}).catch((e: unknown) => e);
    assert.ok(channel instanceof DeliveryError && !channel.retryable);
    assert.match(channel.message, /HTTP 400: invalid-channel/);
    fake.script.push({ status: 200, body: { success: false, error: 'script error: boom' } });
    const script = await send({ url: `${fake.url}${fake.hookPath}` }, {}).catch((e: unknown) => e);
    assert.ok(script instanceof DeliveryError && !script.retryable);
    assert.match(script.message, /success: false: script error: boom/);
    fake.limit = 1;
    fake.windowMs = 3000;
    await send({ url: `${fake.url}${fake.hookPath}`, max_per_second: 100 }, {});
    const limited = await send({ url: `${fake.url}${fake.hookPath}`, max_per_second: 100 }, {}).catch((e: unknown) => e);
    assert.ok(limited instanceof DeliveryError && limited.reason === 'rate_limited');
    assert.ok((limited.retryAfterMs ?? 0) > 2000 && (limited.retryAfterMs ?? 0) <= 3000, `waits until the reset: ${limited.retryAfterMs}`);
    assert.match(limited.message, /error-too-many-requests/);
    fake.limit = 0;
    fake.script.push({ status: 500 });
    const down = await send({ url: `${fake.url}${fake.hookPath}` }, {}).catch((e: unknown) => e);
    assert.ok(down instanceof DeliveryError && down.reason === 'server' && down.retryable);
  });
});
