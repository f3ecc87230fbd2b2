import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeDiscord, validateExecuteWebhook } from '../../../test/fakes/discord.js';
import { deliveries, drain, eventually, startHerald } from '../../../test/helpers/harness.js';

const yaml = (receiver: string) => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - ${receiver}
routes: [{receivers: [chat]}]
`;

interface Embed {
  title: string;
  description?: string;
  url?: string;
  color: number;
  fields?: { name: string; value: string; inline: boolean }[];
  footer?: { text: string };
  timestamp: string;
}

describe('discord receiver', () => {
  it('executes the webhook with one severity-coloured embed, wait=true and no mentions allowed', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeDiscord();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      yaml(`{name: chat, type: discord, url: "${fake.url}${fake.webhookPath}", username: Herald, thread_id: "1180000000000000009"}`),
    );
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
        links: [{ title: 'Runbook', url: 'https://wiki.example/rb' }],
        key: 'db-1',
        occurred_at: '2026-03-01T12:00:00.000Z',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    assert.deepEqual(fake.rejected, []);
    const got = fake.accepted[0];
    assert.equal(got?.path, fake.webhookPath);
    assert.equal(got?.query.get('wait'), 'true');
    assert.equal(got?.query.get('thread_id'), '1180000000000000009');
    assert.equal(got?.headers['content-type'], 'application/json');
    assert.equal(got?.body.username, 'Herald');
    assert.deepEqual(got?.body.allowed_mentions, { parse: [] });
    const [embed] = (got?.body.embeds ?? []) as Embed[];
    assert.equal(embed?.title, '[FIRING] db\\-1 down');
    assert.equal(embed?.description, 'ping failed');
    assert.equal(embed?.color, 0xd0021b);
    assert.equal(embed?.url, 'https://grafana.example/d/1');
    assert.equal(embed?.timestamp, '2026-03-01T12:00:00.000Z');
    assert.deepEqual(embed?.fields?.[0], { name: 'env', value: 'prod', inline: true });
    assert.equal(embed?.fields?.[1]?.value, '[Open](<https://grafana.example/d/1>)\n[Runbook](<https://wiki.example/rb>)');
    assert.equal(embed?.footer?.text, 'FIRING · critical · key: db-1');
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded as delivered');
    // The resolve edits that message in place (same thread), and it turns green.
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 2, 5000, 'resolve accepted');
    const edit = fake.accepted[1];
    const [posted] = [...fake.messages.keys()];
    assert.equal(edit?.method, 'PATCH');
    assert.equal(edit?.path, `${fake.webhookPath}/messages/${posted}`);
    assert.equal(edit?.query.get('thread_id'), '1180000000000000009');
    assert.equal(edit?.body.username, undefined, 'an edit cannot change the username');
    assert.deepEqual(edit?.body.allowed_mentions, { parse: [] });
    assert.equal(fake.messages.size, 1, 'one message for the incident');
    const [edited] = (fake.messages.get(posted as string)?.embeds ?? []) as Embed[];
    assert.equal(edited?.color, 0x2eb67d);
    assert.equal(edited?.title, '[RESOLVED] db\\-1 up');
  });

  it('a resolve whose message was deleted in Discord posts a new one; update_on_resolve: false always posts', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeDiscord();
    t.after(() => fake.close());
    const url = `${fake.url}${fake.webhookPath}`;
    const h = await startHerald(
      t,
      `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: chat, type: discord, url: "${url}"}
  - {name: plain, type: discord, url: "${url}", update_on_resolve: false}
routes: [{receivers: [chat, plain]}]
`,
    );
    const post = (payload: object) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });
    await post({ title: 'q full', status: 'firing', key: 'q' });
    await eventually(() => fake.accepted.length === 2, 5000, 'both posted');
    fake.messages.clear();
    await post({ title: 'q ok', status: 'resolved', key: 'q' });
    await eventually(() => fake.accepted.length === 4, 5000, 'both resolves posted');
    assert.deepEqual(
      fake.accepted.map((a) => a.method).sort(),
      ['POST', 'POST', 'POST', 'POST'],
      'the failed edit (Unknown Message) was replaced by a new message; the plain receiver never edits',
    );
    assert.equal(fake.rejected.filter((r) => r.status === 404).length, 1, 'one edit was tried and refused');
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'succeeded'), 5000, 'all delivered');
  });

  it('escapes untrusted text: no @everyone, <@id>, masked links or formatting get through', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeDiscord();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: chat, type: discord, url: "${fake.url}${fake.webhookPath}"}`));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'hi @everyone <@123456789012345678> [click](https://evil.example)',
        text: '**bold** @here <@&987654321098765432> ||spoiler||',
        labels: { note: '[x](https://evil.example) <@1> @everyone' },
        links: [{ title: '](https://evil.example) x', url: 'https://ok.example/a)b<c' }],
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    const body = fake.accepted[0]?.body as { allowed_mentions: unknown; embeds: Embed[] };
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    const raw = JSON.stringify(body.embeds);
    for (const bad of [
      '@everyone',
      '@here',
      '<@123456789012345678>',
      '<@&987654321098765432>',
      '[click](',
      '**bold**',
      '||spoiler||',
      '[x](',
      '<@1>',
      '](https://evil',
      'a)b<c',
    ])
      assert.ok(!raw.includes(bad), `unescaped ${bad}`);
    const embed = body.embeds[0] as Embed;
    assert.equal(embed.title, 'hi @\u200beveryone \\<@123456789012345678\\> \\[click\\]\\(https://evil\\.example\\)');
    assert.equal(embed.fields?.[1]?.value, '[\\]\\(https\\://evil\\.example\\) x](<https://ok.example/a%29b%3Cc>)');
    assert.equal(embed.description, '\\*\\*bold\\*\\* @\u200bhere \\<@&987654321098765432\\> \\|\\|spoiler\\|\\|');
  });

  it('keeps every Discord limit: long text, many labels and a long title are cut with a marker', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeDiscord();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: chat, type: discord, url: "${fake.url}${fake.webhookPath}"}`));
    const labels = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`label${i}`, '-'.repeat(1000)]));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'T'.repeat(400), text: 'x'.repeat(10_000), labels },
    });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'short', text: 'y'.repeat(10_000) } });
    await eventually(() => fake.accepted.length === 2, 5000, `both accepted ${JSON.stringify(fake.rejected)}`);
    assert.deepEqual(fake.rejected, []);
    for (const a of fake.accepted) assert.deepEqual(validateExecuteWebhook(a.body), {});
    const [big] = (fake.accepted[0]?.body.embeds ?? []) as Embed[];
    assert.equal(big?.title.length, 256);
    assert.ok(big?.title.endsWith('…'));
    assert.ok((big?.fields?.length ?? 0) <= 25 && (big?.fields?.length ?? 0) > 0);
    assert.ok(big?.fields?.every((f) => f.value.length <= 1024 && f.value.endsWith('…')));
    assert.ok(big?.description?.endsWith('… (truncated)'));
    const [long] = (fake.accepted[1]?.body.embeds ?? []) as Embed[];
    assert.equal(long?.description?.length, 4096);
    assert.ok(long?.description?.endsWith('… (truncated)'));
  });

  it("follows the rate-limit headers: a burst never earns a 429 from the bucket, and a 429's body retry_after is honoured", { timeout: 30_000 }, async (t) => {
    const fake = await startFakeDiscord();
    t.after(() => fake.close());
    fake.bucketLimit = 5;
    fake.bucketWindowMs = 400;
    const h = await startHerald(t, yaml(`{name: chat, type: discord, concurrency: 4, max_per_second: 50, url: "${fake.url}${fake.webhookPath}"}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 20 }, (_, i) => ({ title: `n${i}` })) });
    await eventually(async () => fake.accepted.length === 20 && (await deliveries(h)).every((d) => d.state === 'succeeded'), 15_000, 'all delivered');
    assert.equal(fake.rejected.length, 0, 'X-RateLimit-Remaining: 0 held sends back until the bucket refilled');
    assert.equal(new Set(fake.accepted.map((a) => JSON.stringify(a.body))).size, 20);
    // A 429 from elsewhere (e.g. the channel's limit): body retry_after 0.3 s, header rounded up to 2 s.
    fake.script = [{ status: 429, retryAfter: 0.3, header: '2' }];
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'after' } });
    await eventually(() => fake.accepted.length === 21, 10_000, 'delivered after the 429');
    const limitedAt = fake.rejected[0]?.at ?? 0;
    const wait = (fake.accepted[20]?.at ?? 0) - limitedAt;
    assert.equal(fake.earlyAfterRetry, 0, 'nothing was sent before retry_after expired');
    assert.ok(wait >= 300 && wait < 1900, `waited ${wait} ms: the body's precise retry_after, not the header's 2 s`);
    const d = (await deliveries(h)).find((x) => x.attempts > 1);
    assert.equal(d, undefined, 'the 429 used no attempt');
  });

  it('answers: unknown webhook and wrong token are dead at once, 5xx is retried', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeDiscord();
    t.after(() => fake.close());
    const wrongToken = fake.webhookPath.replace(fake.token, 'wrong-token');
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: gone, type: discord, url: "${fake.url}/api/webhooks/1180000000000000099/abc"}
  - {name: badtoken, type: discord, url: "${fake.url}${wrongToken}"}
routes: [{receivers: [gone, badtoken]}]
`,
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'dead'), 5000, 'both dead');
    await drain(h);
    assert.deepEqual(fake.rejected.map((r) => r.status).sort(), [401, 404], 'each tried once');
    const errors = (await deliveries(h)).map((d) => d.last_error ?? '').join('\n');
    assert.ok(!errors.includes('wrong-token'), 'the token is not in the error');
    const h2 = await startHerald(t, yaml(`{name: chat, type: discord, url: "${fake.url}${fake.webhookPath}"}`));
    fake.script = [{ status: 500 }, { status: 502 }];
    await h2.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'y' } });
    await eventually(async () => (await deliveries(h2))[0]?.state === 'succeeded', 5000, 'delivered after retries');
    assert.equal((await deliveries(h2))[0]?.attempts, 3);
  });

  it('validates its config with paths', async () => {
    const { parseConfig, ConfigError } = await import('../../config/load.js');
    const { registry } = await import('../../../test/helpers/harness.js');
    const issues = (y: string) => {
      try {
        parseConfig(y, registry(), {});
        return [];
      } catch (err) {
        return (err as InstanceType<typeof ConfigError>).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    assert.equal(issues('receivers: [{name: d, type: discord}]').length, 1);
    assert.deepEqual(issues('receivers: [{name: d, type: discord, url: "https://discord.com/api/webhooks/1/t", username: "My Discord Bot"}]'), [
      'receivers[0].username: must not contain "discord" or "clyde" (Discord refuses it)',
    ]);
    assert.equal(issues('receivers: [{name: d, type: discord, url: "https://discord.com/api/webhooks/1/t", thread_id: "abc"}]').length, 1);
    assert.deepEqual(issues('receivers: [{name: d, type: discord, url: "https://discord.com/api/webhooks/1/t", username: Herald}]'), []);
  });
});
