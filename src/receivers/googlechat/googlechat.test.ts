import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeGoogleChat } from '../../../test/fakes/googlechat.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import googlechat from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(googlechat, {
  templates,
  okBody: '{"name":"spaces/AAAA/messages/m1","thread":{"name":"spaces/AAAA/threads/t1"}}',
  config: (base) =>
    filledConfig(googlechat, { url: `${base}/v1/spaces/AAAA/messages?key=gcConformanceKey01&token=gcConformanceSecretToken02`, max_per_second: 10 }),
  secrets: ['gcConformanceKey01', 'gcConformanceSecretToken02'],
  invalidConfigs: [
    {},
    { url: 'ftp://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t' },
    { url: 'https://chat.googleapis.com/v1/spaces/A/messages' },
    { url: 'https://chat.googleapis.com/v1/spaces/A/messages?key=k' },
    { url: 'https://chat.googleapis.com/v1/spaces/A/messages?key=k&token=t', max_per_second: 20 },
  ],
});

type Card = { header: { title: string; subtitle?: string }; sections: { header?: string; widgets: Record<string, Record<string, unknown>>[] }[] };
const cardOf = (body: Record<string, unknown> | undefined) => ((body?.cardsV2 ?? []) as { card: Card }[])[0]?.card as Card;

describe('googlechat receiver', () => {
  it('posts a cards v2 message; an incident’s notifications share one thread by threadKey', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeGoogleChat();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: gc, type: googlechat, url: "${fake.url}${fake.hookPath}", max_per_second: 10}]
routes: [{receivers: [gc]}]
`,
    );
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'ping <b>failed</b> & more',
        status: 'firing',
        severity: 'critical',
        source: 'nagios',
        key: 'db-1',
        labels: { env: 'prod' },
        url: 'https://grafana.example/d/1',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded');
    const got = fake.accepted[0];
    const delivery = (await deliveries(h))[0];
    assert.equal(got?.headers['content-type'], 'application/json; charset=UTF-8');
    assert.equal(got?.query.messageReplyOption, 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    assert.deepEqual(got?.body, {
      fallbackText: '🔴 [FIRING] db-1 down',
      cardsV2: [
        {
          cardId: `herald-${delivery?.id}`,
          card: {
            header: { title: '🔴 [FIRING] db-1 down', subtitle: 'nagios' },
            sections: [
              {
                widgets: [
                  { textParagraph: { text: 'ping &lt;b&gt;failed&lt;/b&gt; &amp; more' } },
                  { textParagraph: { text: '<font color="#D0021B">FIRING · critical · source: nagios · key: db-1</font>' } },
                ],
              },
              { header: 'Labels', collapsible: false, widgets: [{ decoratedText: { topLabel: 'env', text: 'prod' } }] },
              { widgets: [{ buttonList: { buttons: [{ text: 'Open', onClick: { openLink: { url: 'https://grafana.example/d/1' } } }] } }] },
            ],
          },
        },
      ],
      thread: { threadKey: 'db-1' },
    });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-2 down', status: 'firing', key: 'db-2' } });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 3, 5000, 'all sent');
    const byTitle = new Map(fake.accepted.map((a) => [cardOf(a.body).header.title, a.thread]));
    assert.equal(byTitle.get('✅ [RESOLVED] db-1 up'), byTitle.get('🔴 [FIRING] db-1 down'), 'the resolve is in the trigger’s thread');
    assert.notEqual(byTitle.get('🟠 [FIRING] db-2 down'), byTitle.get('🔴 [FIRING] db-1 down'));
  });

  it('keeps the whole message under 32,000 bytes; threads: false starts a thread per message', async (t) => {
    const fake = await startFakeGoogleChat();
    t.after(() => fake.close());
    const send = (config: Partial<Parameters<typeof googlechat.create>[0]>, e: Partial<HeraldEvent>) =>
      googlechat
        .create(filledConfig(googlechat, { url: `${fake.url}${fake.hookPath}`, max_per_second: 10, ...config }), {
          name: 'gc',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send(
          {
            id: 'd1',
            receiver: 'gc',
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
    // 12,000 characters of 4-byte emoji are 24,000 bytes, and 30 labels of 500 add 15,000: over the limit unless cut further.
    await send({}, { text: '😀<'.repeat(6000), labels: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`l${i}`, 'v'.repeat(500)])) });
    assert.equal(fake.rejected.length, 0, JSON.stringify(fake.rejected));
    const body = JSON.stringify(fake.accepted[0]?.body);
    assert.ok(Buffer.byteLength(body) <= 32_000, `${Buffer.byteLength(body)} bytes`);
    assert.match(body, /… \(truncated\)/);
    await send({ threads: false }, { key: 'k1' });
    await send({ threads: false }, { key: 'k1' });
    assert.equal(fake.accepted[1]?.body.thread, undefined);
    assert.equal(fake.accepted[1]?.query.messageReplyOption, undefined);
    assert.notEqual(fake.accepted[1]?.thread, fake.accepted[2]?.thread);
  });

  it("answers: wrong token is a permanent auth failure with Google's status, not leaking the token; 400 permanent; 429 waits 5 s; 5xx", async (t) => {
    const fake = await startFakeGoogleChat();
    t.after(() => fake.close());
    const send = (url: string) =>
      googlechat
        .create(filledConfig(googlechat, { url, max_per_second: 10 }), { name: 'gc', log: silent, templates, clock: systemClock })
        .send(
          {
            id: 'd1',
            receiver: 'gc',
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
    const good = `${fake.url}${fake.hookPath}`;
    const wrong = await send(good.replace(/token=[^&]+/, 'token=wrongSecretToken42'));
    assert.ok(wrong instanceof DeliveryError && wrong.reason === 'auth' && !wrong.retryable);
    assert.match(wrong.message, /HTTP 401: not authorized: UNAUTHENTICATED Request had invalid authentication credentials\./);
    assert.ok(!wrong.message.includes('wrongSecretToken42'));
    fake.script.push({ status: 400, body: { error: { code: 400, message: 'Invalid JSON payload received. Unknown name "x"', status: 'INVALID_ARGUMENT' } } });
    const bad = await send(good);
    assert.ok(bad instanceof DeliveryError && bad.reason === 'client' && !bad.retryable);
    assert.match(bad.message, /INVALID_ARGUMENT Invalid JSON payload/);
    fake.perSecond = 1;
    await send(good);
    const limited = await send(good);
    assert.ok(limited instanceof DeliveryError && limited.reason === 'rate_limited' && limited.retryAfterMs === 5000);
    assert.match(limited.message, /RESOURCE_EXHAUSTED/);
    fake.perSecond = 0;
    fake.script.push({ status: 503 });
    const down = await send(good);
    assert.ok(down instanceof DeliveryError && down.reason === 'server' && down.retryable);
  });
});
