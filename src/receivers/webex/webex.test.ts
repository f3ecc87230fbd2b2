import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeWebex } from '../../../test/fakes/webex.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import webex from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(webex, {
  templates,
  okBody: '{"id":"Y2lzY29zcGFyazovL3VzL01FU1NBR0UvMQ","roomId":"r","roomType":"group","created":"2026-01-01T00:00:00.000Z"}',
  config: (base) =>
    filledConfig(webex, { token: 'webexConformanceSecretToken01', room_id: 'Y2lzY29zcGFyazovL3VzL1JPT00vMQ', api_url: `${base}/v1`, max_per_second: 50 }),
  secrets: ['webexConformanceSecretToken01'],
  invalidConfigs: [
    {},
    { token: 't' },
    { token: 't', room_id: 'r', to_person_email: 'a@example.com' },
    { token: 't', to_person_email: 'not-an-email' },
    { token: '', room_id: 'r' },
    { token: 't', room_id: 'r', api_url: 'ftp://x' },
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

describe('webex receiver', () => {
  it('posts markdown and its text fallback to the space with the bot token', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeWebex();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: wx, type: webex, token: "${fake.token}", room_id: "${fake.roomId}", api_url: "${fake.url}/v1"}]
routes: [{receivers: [wx]}]
`,
    );
    await h.herald.server.inject({
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
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded');
    const got = fake.accepted[0];
    assert.equal(got?.headers.authorization, `Bearer ${fake.token}`);
    assert.equal(got?.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(got?.body, {
      roomId: fake.roomId,
      markdown: '🔴 **[FIRING] db\\-1 down**\n\nping failed\n\n- **env**: prod\n\n_FIRING · critical · key: db\\-1_\n\n[Open](https://grafana.example/d/1)',
      text: '🔴 [FIRING] db-1 down\nping failed',
    });
  });

  it('escapes Markdown and defuses <@all> in event values; sends 1:1 by toPersonEmail; cuts to 7,439 bytes', async (t) => {
    const fake = await startFakeWebex();
    t.after(() => fake.close());
    const send = (e: Partial<HeraldEvent>) =>
      webex
        .create(filledConfig(webex, { token: fake.token, to_person_email: 'oncall@example.com', api_url: `${fake.url}/v1` }), {
          name: 'wx',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send({ id: 'd1', receiver: 'wx', people: [], event: event(e) } satisfies Notification, {
          http: loopbackHttpClient(),
          net: loopbackTcpClient(),
          state: memoryState(),
          log: silent,
          clock: systemClock,
          attempt: 1,
          signal: new AbortController().signal,
        });
    await send({ title: '<@all> [click](https://evil.example)', text: '**x** <@personEmail:ceo@example.com>' });
    const got = fake.accepted[0]?.body;
    assert.equal(got?.toPersonEmail, 'oncall@example.com');
    assert.equal(
      got?.markdown,
      '🟠 **[FIRING] \\<\u200b@all\\> \\[click\\]\\(https://evil\\.example\\)**\n\n\\*\\*x\\*\\* \\<\u200b@personEmail:ceo@example\\.com\\>\n\n_FIRING_',
    );
    assert.ok(!String(got?.text).includes('<@'));
    await send({ text: 'é'.repeat(5000), status: 'resolved' });
    const big = fake.accepted[1]?.body;
    assert.ok(Buffer.byteLength(String(big?.markdown)) <= 7439 && Buffer.byteLength(String(big?.text)) <= 7439);
    assert.ok(String(big?.markdown).startsWith('✅'));
  });

  it('mentions the people a route attaches by their webex contact, kept whole when the message is cut', async (t) => {
    const fake = await startFakeWebex();
    t.after(() => fake.close());
    const lines: string[] = [];
    const log = { ...silent, warn: (o: unknown, m?: string) => void lines.push(JSON.stringify([o, m])), child: () => log };
    const send = (text: string) =>
      webex
        .create(filledConfig(webex, { token: fake.token, room_id: fake.roomId, api_url: `${fake.url}/v1` }), { name: 'wx', log, templates, clock: systemClock })
        .send(
          {
            id: 'd1',
            receiver: 'wx',
            people: [
              { name: 'alice', contacts: { webex: 'alice@example.com' } },
              { name: 'bob', contacts: { webex: 'bob' } },
              { name: 'carol', contacts: { email: 'carol@example.com' } },
            ],
            event: event({ text }),
          } satisfies Notification,
          {
            http: loopbackHttpClient(),
            net: loopbackTcpClient(),
            state: memoryState(),
            log,
            clock: systemClock,
            attempt: 1,
            signal: new AbortController().signal,
          },
        );
    await send('short');
    assert.match(String(fake.accepted[0]?.body.markdown), /\n\ncc <@personEmail:alice@example\.com\|alice>$/);
    assert.match(String(fake.accepted[0]?.body.text), /\ncc alice$/);
    assert.ok(lines.some((l) => l.includes('bob') && l.includes('not an email')));
    await send('x'.repeat(9000));
    const md = String(fake.accepted[1]?.body.markdown);
    assert.ok(Buffer.byteLength(md) <= 7439 && md.endsWith('cc <@personEmail:alice@example.com|alice>'));
  });

  it('answers: a bad token is a permanent auth failure with Webex’s message and trackingId; unknown room 404; 429 Retry-After; 5xx', async (t) => {
    const fake = await startFakeWebex();
    t.after(() => fake.close());
    const send = (config: Partial<Parameters<typeof webex.create>[0]>) =>
      webex
        .create(filledConfig(webex, { token: fake.token, room_id: fake.roomId, api_url: `${fake.url}/v1`, max_per_second: 50, ...config }), {
          name: 'wx',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send({ id: 'd1', receiver: 'wx', people: [], event: event({}) } satisfies Notification, {
          http: loopbackHttpClient(),
          net: loopbackTcpClient(),
          state: memoryState(),
          log: silent,
          clock: systemClock,
          attempt: 1,
          signal: new AbortController().signal,
        })
        .catch((e: unknown) => e);
    const bad = await send({ token: 'webexWrongSecret55' });
    assert.ok(bad instanceof DeliveryError && bad.reason === 'auth' && !bad.retryable);
    assert.match(bad.message, /HTTP 401: not authorized: The request requires a valid access token .* \(trackingId ROUTER_/);
    assert.ok(!bad.message.includes('webexWrongSecret55'));
    const room = await send({ room_id: 'Y2lzY29zcGFyazovL3VzL1JPT00vbm9uZQ' });
    assert.ok(room instanceof DeliveryError && room.reason === 'client');
    assert.match(room.message, /HTTP 404: Could not find a room with provided ID\./);
    fake.perSecond = 1;
    await send({});
    const limited = await send({});
    assert.ok(limited instanceof DeliveryError && limited.reason === 'rate_limited' && limited.retryAfterMs === 2000);
    fake.perSecond = 0;
    fake.script.push({ status: 503 });
    const down = await send({});
    assert.ok(down instanceof DeliveryError && down.reason === 'server' && down.retryable);
  });
});
