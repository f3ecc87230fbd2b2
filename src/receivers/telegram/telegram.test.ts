import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeTelegram } from '../../../test/fakes/telegram.js';
import { deliveries, eventually, startHerald } from '../../../test/helpers/harness.js';

const yaml = (url: string, token: string, extra = '', delivery = '') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]${delivery}}
receivers:
  - {name: tg, type: telegram, token: "${token}", chat_id: -1001234567890, api_url: "${url}"${extra}}
routes: [{receivers: [tg]}]
`;

describe('telegram receiver', () => {
  it('sends an HTML message to the chat: bold title, text, labels, links; the token only in the path', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeTelegram();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.token, ', message_thread_id: 7'));
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
        url: 'https://grafana.example/d/1?a=1&b=2',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    assert.deepEqual(fake.rejected, []);
    const a = fake.accepted[0];
    assert.equal(a?.chatId, -1001234567890);
    assert.equal(a?.headers['content-type'], 'application/json');
    assert.deepEqual(
      { ...a?.body, text: undefined },
      { chat_id: -1001234567890, text: undefined, parse_mode: 'HTML', message_thread_id: 7, link_preview_options: { is_disabled: true } },
    );
    assert.equal(
      a?.body.text,
      '🔴 <b>[FIRING] db-1 down</b>\n\nping failed\n\n<b>env</b>: prod\n\n<i>FIRING · critical · key: db-1</i>\n\n<a href="https://grafana.example/d/1?a=1&amp;b=2">Open</a>',
    );
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'succeeded');
    assert.ok(!h.logLines.join('\n').includes(fake.token), 'token not logged');
  });

  it('escapes untrusted text: event tags and links arrive as text, Telegram parses the message', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeTelegram();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.token));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: '<a href="https://evil.example">click</a> & <b>',
        text: 'x < y > z & <tg-spoiler>s</tg-spoiler> "q"',
        labels: { note: '</b><i>' },
        links: [{ title: '<b>t</b>', url: 'https://x.example/?q="><script>' }],
      },
    });
    await eventually(() => fake.accepted.length + fake.rejected.length === 1, 5000, 'answered');
    assert.deepEqual(fake.rejected, [], 'Telegram could parse the entities');
    const raw = String(fake.accepted[0]?.body.text);
    for (const bad of ['<a href="https://evil', '<tg-spoiler>', '</b><i>', '"><script>', '<b>t</b>']) assert.ok(!raw.includes(bad), `unescaped ${bad}`);
    const plain = fake.accepted[0]?.plain ?? '';
    assert.ok(plain.includes('<a href="https://evil.example">click</a> & <b>'), 'shown literally');
    assert.ok(plain.includes('x < y > z & <tg-spoiler>s</tg-spoiler> "q"'));
  });

  it('cuts text to 4,096 characters after entities parsing, keeps tags balanced, marks the cut', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeTelegram();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.token, ', text_template: "<i>{{ event.text }}</i>"'));
    // 6,000 '&' become 30,000 characters of HTML but 6,000 after parsing.
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'big', text: '&'.repeat(6000) } });
    await eventually(() => fake.accepted.length + fake.rejected.length === 1, 5000, 'answered');
    assert.deepEqual(fake.rejected, []);
    const plain = fake.accepted[0]?.plain ?? '';
    assert.equal(plain.length, 4096);
    assert.ok(plain.endsWith('… (truncated)'));
    assert.match(String(fake.accepted[0]?.body.text), /&amp;<\/i>… \(truncated\)$/);
  });

  it('429 with parameters.retry_after: waits, does not use an attempt, holds back later sends', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTelegram();
    t.after(() => fake.close());
    fake.minIntervalMs = 300;
    // Longer than Herald's 1 s default, so only reading parameters.retry_after keeps sends out of the window.
    fake.retryAfterSeconds = 2;
    // Herald paces at 10/s, faster than the fake allows: Telegram's 429s must be honoured.
    const h = await startHerald(t, yaml(fake.url, fake.token, ', max_per_second: 10, concurrency: 2'));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 4 }, (_, i) => ({ title: `n${i}` })) });
    await eventually(async () => fake.accepted.length === 4 && (await deliveries(h)).every((d) => d.state === 'succeeded'), 15_000, 'all delivered');
    assert.ok(
      fake.rejected.some((r) => r.status === 429),
      'the fake did rate-limit',
    );
    assert.equal(fake.earlyAfterRetry, 0, 'nothing was sent before retry_after expired');
    assert.ok(
      (await deliveries(h)).every((d) => d.attempts === 1),
      '429s did not use up attempts',
    );
  });

  it('400 and 403 are permanent with Telegram’s description; 5xx is retried; a migrated group says where it went', { timeout: 15_000 }, async (t) => {
    const fake = await startFakeTelegram();
    t.after(() => fake.close());
    fake.blocked.add('-1001234567890');
    const h = await startHerald(t, yaml(fake.url, fake.token));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead on 403');
    let [d] = await deliveries(h);
    assert.equal(d?.attempts, 1);
    assert.match(d?.last_error ?? '', /bot was blocked by the user/);
    fake.blocked.clear();

    fake.script = [
      { status: 502, body: { ok: false, error_code: 502, description: 'Bad Gateway' } },
      {
        status: 400,
        body: {
          ok: false,
          error_code: 400,
          description: 'Bad Request: group chat was upgraded to a supergroup chat',
          parameters: { migrate_to_chat_id: -1009999 },
        },
      },
    ];
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'y' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead after 502 then 400');
    [d] = await deliveries(h);
    assert.equal(d?.attempts, 2, '502 retried once, then 400 permanent');
    assert.match(d?.last_error ?? '', /set chat_id to -1009999/);
    assert.ok(!(d?.last_error ?? '').includes(fake.token));
  });
});
