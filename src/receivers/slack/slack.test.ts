import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IncomingWebhook } from '@slack/webhook';
import { startFakeSlack } from '../../../test/fakes/slack.js';
import { deliveries, eventually, FakeClock, startHerald } from '../../../test/helpers/harness.js';

const base = (receiver: string) => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - ${receiver}
routes: [{receivers: [chat]}]
`;

describe('slack receiver', () => {
  it('sends what the official @slack/webhook client sends, and the same fake accepts both', async (t) => {
    const fake = await startFakeSlack();
    t.after(() => fake.close());
    fake.minIntervalMs = 0;
    const official = new IncomingWebhook(`${fake.url}${fake.webhookPath}`);
    await official.send({ text: 'fallback', attachments: [{ color: '#D0021B', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }] }] });
    const h = await startHerald(t, base(`{name: chat, type: slack, url: "${fake.url}${fake.webhookPath}"}`));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'ping failed',
        status: 'firing',
        severity: 'critical',
        labels: { env: 'prod' },
        url: 'https://grafana.example/d/1',
        key: 'db-1',
      },
    });
    await eventually(() => fake.accepted.length === 2, 5000, 'both accepted');
    assert.deepEqual(fake.rejected, []);
    const [theirs, ours] = fake.accepted;
    assert.equal(ours?.path, theirs?.path);
    assert.equal(ours?.headers['content-type'], theirs?.headers['content-type']);
    assert.deepEqual(Object.keys(ours?.body ?? {}).sort(), Object.keys(theirs?.body ?? {}).sort());
    const body = ours?.body as {
      text: string;
      attachments: { color: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { url?: string }[] }[] }[];
    };
    assert.equal(body.text, '[FIRING] db-1 down');
    assert.equal(body.attachments[0]?.color, '#D0021B');
    const blocks = body.attachments[0]?.blocks ?? [];
    assert.equal(blocks[0]?.text?.text, '*[FIRING] db-1 down*\nping failed');
    assert.equal(blocks[1]?.fields?.[0]?.text, '*env*\nprod');
    assert.equal(blocks.find((b) => b.type === 'actions')?.elements?.[0]?.url, 'https://grafana.example/d/1');
  });

  it('escapes untrusted text: <!channel> and <https://evil|x> arrive escaped', async (t) => {
    const fake = await startFakeSlack();
    t.after(() => fake.close());
    fake.minIntervalMs = 0;
    const h = await startHerald(t, base(`{name: chat, type: slack, url: "${fake.url}${fake.webhookPath}"}`));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'hi <!channel> see <https://evil.example|x>', text: '<@U123> & <!here>', labels: { note: 'x<y a>b' } },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    const raw = JSON.stringify(fake.accepted[0]?.body);
    for (const bad of ['<!channel>', '<https://evil.example|x>', '<@U123>', '<!here>', 'x<y', 'a>b']) assert.ok(!raw.includes(bad), `unescaped ${bad}`);
    assert.ok(raw.includes('hi &lt;!channel&gt; see &lt;https://evil.example|x&gt;'));
    assert.ok(raw.includes('&lt;@U123&gt; &amp; &lt;!here&gt;'));
  });

  it('paces sends and never sends before a Retry-After has expired; all are delivered', { timeout: 60_000 }, async (t) => {
    const fake = await startFakeSlack();
    t.after(() => fake.close());
    // Slack allows ~1/s; the fake enforces 1 per 100 ms so the test stays short, Herald
    // paces at 8/s, and the fake also answers 429 to two requests, as Slack may at any time.
    fake.minIntervalMs = 100;
    fake.retryAfterSeconds = 1;
    fake.limitRequests = new Set([3, 9]);
    const h = await startHerald(t, base(`{name: chat, type: slack, concurrency: 4, max_per_second: 8, url: "${fake.url}${fake.webhookPath}"}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 15 }, (_, i) => ({ title: `n${i}` })) });
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'succeeded') && fake.accepted.length === 15, 30_000, 'all delivered');
    assert.ok(
      fake.rejected.some((r) => r.status === 429),
      'the fake did rate-limit',
    );
    assert.equal(fake.earlyAfterRetry, 0, 'nothing was sent before Retry-After expired');
    assert.ok(
      (await deliveries(h)).every((d) => d.attempts === 1),
      '429s did not use up attempts',
    );
    for (let i = 1; i < fake.accepted.length; i++) assert.ok((fake.accepted[i]?.at ?? 0) - (fake.accepted[i - 1]?.at ?? 0) >= 100);
  });

  it("300 notifications to one webhook at Slack's 1 message/s: all delivered, none before a Retry-After expired", { timeout: 120_000 }, async (t) => {
    // Five minutes of Slack time run on a virtual clock shared by Herald (pacer,
    // retry schedule) and the fake (rate limit, Retry-After): real HTTP, virtual seconds.
    const clock = new FakeClock();
    const ticker = setInterval(() => clock.advance(10), 2);
    t.after(() => clearInterval(ticker));
    const fake = await startFakeSlack();
    t.after(() => fake.close());
    fake.now = () => clock.now();
    fake.minIntervalMs = 1000;
    // Longer than the pacing interval, so only honouring it (not pacing alone) keeps sends out of the window.
    fake.retryAfterSeconds = 3;
    fake.limitRequests = new Set([7, 150, 151]);
    const h = await startHerald(t, base(`{name: chat, type: slack, concurrency: 4, url: "${fake.url}${fake.webhookPath}"}`), { clock });
    for (let i = 0; i < 300; i += 100) {
      const res = await h.herald.server.inject({
        method: 'POST',
        url: '/api/v1/events',
        payload: Array.from({ length: 100 }, (_, j) => ({ title: `n${i + j}` })),
      });
      assert.equal(res.statusCode, 202);
    }
    await eventually(async () => fake.accepted.length === 300 && (await deliveries(h)).every((d) => d.state === 'succeeded'), 100_000, 'all 300 delivered');
    assert.equal(new Set(fake.accepted.map((a) => JSON.stringify(a.body))).size, 300, 'each delivered once');
    assert.ok(
      fake.rejected.some((r) => r.status === 429),
      'the fake did rate-limit',
    );
    assert.equal(fake.earlyAfterRetry, 0, 'nothing was sent before a Retry-After expired');
    for (let i = 1; i < fake.accepted.length; i++)
      assert.ok((fake.accepted[i]?.at ?? 0) - (fake.accepted[i - 1]?.at ?? 0) >= 1000, `message ${i} kept 1 s spacing`);
    const span = (fake.accepted.at(-1)?.at ?? 0) - (fake.accepted[0]?.at ?? 0);
    assert.ok(span >= 299_000, `took ${span} virtual ms: paced, not burst`);
    assert.ok(
      (await deliveries(h)).every((d) => d.attempts === 1),
      '429s did not use up attempts',
    );
  });

  it('chat.postMessage: bearer token and channel; auth errors are permanent', async (t) => {
    const fake = await startFakeSlack();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: chat, type: slack, token: "${fake.token}", channel: C123, api_url: "${fake.url}/api"}
  - {name: bad, type: slack, token: "xoxb-wrong-token-000000", channel: C1, api_url: "${fake.url}/api"}
routes: [{receivers: [chat, bad]}]
`,
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'deploy done', status: 'info' } });
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'succeeded' || d.state === 'dead'), 5000, 'both settled');
    const accepted = fake.accepted.find((a) => a.path === '/api/chat.postMessage');
    assert.equal(accepted?.body.channel, 'C123');
    assert.equal(accepted?.headers['content-type'], 'application/json; charset=utf-8');
    const dead = (await deliveries(h)).find((d) => d.state === 'dead');
    assert.match(dead?.last_error ?? '', /chat\.postMessage: invalid_auth/);
  });

  it('chat.postMessage: a resolve updates the message its trigger posted, across a restart', async (t) => {
    const fake = await startFakeSlack();
    t.after(() => fake.close());
    const { tempDir } = await import('../../../test/helpers/harness.js');
    const dir = tempDir(t);
    const yaml = `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: chat, type: slack, token: "${fake.token}", channel: C123, api_url: "${fake.url}/api", max_per_second: 50}
routes: [{receivers: [chat]}]
`;
    const first = await startHerald(t, yaml, { dir });
    await first.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 down', status: 'firing', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 1, 5000, 'trigger posted');
    await eventually(async () => (await deliveries(first))[0]?.state === 'succeeded', 5000, 'recorded');
    await first.stop();
    const second = await startHerald(t, yaml, { dir });
    await second.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 2, 5000, 'resolve sent');
    const [post, update] = fake.accepted;
    assert.equal(update?.path, '/api/chat.update');
    assert.equal(update?.body.ts, post?.ts);
    assert.equal(update?.body.channel, 'C123');
    assert.equal((post?.updatedBy as { text?: string } | undefined)?.text, '[RESOLVED] db-1 up');
    // The next trigger for the key posts a new message; a resolve without a stored message posts too.
    await second.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'other up', status: 'resolved', key: 'never-posted' } });
    await eventually(() => fake.accepted.length === 3, 5000, 'posted');
    assert.equal(fake.accepted[2]?.path, '/api/chat.postMessage');
  });

  it('validates its config with paths', async () => {
    const { parseConfig, ConfigError } = await import('../../config/load.js');
    const { registry } = await import('../../../test/helpers/harness.js');
    const issues = (yaml: string) => {
      try {
        parseConfig(yaml, registry(), {});
        return [];
      } catch (err) {
        return (err as InstanceType<typeof ConfigError>).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    assert.deepEqual(issues('receivers: [{name: s, type: slack}]'), ['receivers[0].url: is required (or give token + channel)']);
    assert.deepEqual(issues('receivers: [{name: s, type: slack, token: xoxb-1}]'), ['receivers[0].channel: is required with token']);
    assert.deepEqual(issues('receivers: [{name: s, type: slack, token: xoxb-1, channel: C, url: "https://hooks.slack.com/x"}]'), [
      'receivers[0].token: give either url (incoming webhook) or token + channel (chat.postMessage), not both',
    ]);
    assert.match(issues('receivers: [{name: s, type: slack, url: "https://hooks.slack.com/x", text_template: "{% if %}"}]').join(), /^$/);
  });
});
