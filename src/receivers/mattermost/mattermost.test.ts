import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeMattermost, validateMattermostPayload } from '../../../test/fakes/mattermost.js';
import { deliveries, drain, eventually, startHerald } from '../../../test/helpers/harness.js';

const yaml = (receiver: string) => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - ${receiver}
routes: [{receivers: [mm]}]
`;

type Attachment = { fallback: string; color: string; text?: string; fields?: { short: boolean; title: string; value: string }[]; footer: string };
const attachmentOf = (body: Record<string, unknown> | undefined) => ((body?.attachments ?? []) as Attachment[])[0] as Attachment;

describe('mattermost receiver', () => {
  it('posts bold title and text with a severity-coloured attachment; overrides go along', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMattermost();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      yaml(`{name: mm, type: mattermost, url: "${fake.url}${fake.hookPath}", channel: town-square, username: herald, icon_emoji: rotating_light}`),
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
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded as delivered');
    const got = fake.accepted[0];
    assert.equal(got?.headers['content-type'], 'application/json');
    assert.equal(got?.body.text, '**[FIRING] db\\-1 down**\nping failed');
    assert.equal(got?.body.channel, 'town-square');
    assert.equal(got?.body.username, 'herald');
    assert.equal(got?.body.icon_emoji, 'rotating_light');
    assert.deepEqual(attachmentOf(got?.body), {
      fallback: 'db-1 down',
      color: '#D0021B',
      fields: [{ short: true, title: 'env', value: 'prod' }],
      text: '[Open](https://grafana.example/d/1) · [Runbook](https://wiki.example/rb)',
      footer: 'FIRING · critical · key: db-1',
    });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 2, 5000, 'resolve accepted');
    assert.equal(attachmentOf(fake.accepted[1]?.body).color, '#2EB67D');
  });

  it('defuses @channel, @all, @here and @user and escapes Markdown in untrusted text', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMattermost();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: mm, type: mattermost, url: "${fake.url}${fake.hookPath}"}`));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: '@all look [here](https://evil.example)',
        text: 'ping @channel and @here and @alice.b, mail ops@example.com ![img](https://evil.example/x.png)',
        labels: { owner: '@all' },
        source: '@here',
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    const body = fake.accepted[0]?.body ?? {};
    const raw = JSON.stringify(body);
    for (const bad of ['@all', '@channel', '@here', '@alice']) assert.ok(!raw.includes(bad), `not defused: ${bad}`);
    // Markdown is rendered in text, field values and attachment text; the fallback is plain text (notifications).
    const rendered = JSON.stringify([body.text, attachmentOf(body).fields, attachmentOf(body).text]);
    for (const bad of ['[here](', '![img]']) assert.ok(!rendered.includes(bad), `not escaped: ${bad}`);
    assert.equal(
      body.text,
      '**@\u200ball look \\[here\\]\\(https://evil\\.example\\)**\nping @\u200bchannel and @\u200bhere and @\u200balice\\.b, mail ops@example\\.com \\!\\[img\\]\\(https://evil\\.example/x\\.png\\)',
    );
    const att = attachmentOf(body);
    assert.equal(att.fields?.[0]?.value, '@\u200ball');
    assert.equal(att.fallback, '@\u200ball look [here](https://evil.example)');
    assert.match(att.footer, /source: @\u200bhere/);
  });

  it('cuts text to 16,383 characters with a marker, so Mattermost keeps it one post', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMattermost();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: mm, type: mattermost, url: "${fake.url}${fake.hookPath}"}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'big', text: 'x-'.repeat(20_000) } });
    await eventually(() => fake.accepted.length === 1, 5000, `accepted ${JSON.stringify(fake.rejected)}`);
    const got = fake.accepted[0];
    assert.equal(got?.posts, 1, 'one post, not split');
    const text = String(got?.body.text);
    assert.equal(text.length, 16_383);
    assert.ok(text.endsWith('… (truncated)'));
    assert.deepEqual(validateMattermostPayload(got?.body ?? {}), []);
  });

  it('paces sends and honours 429 Retry-After; all delivered, no attempt used up', { timeout: 30_000 }, async (t) => {
    const fake = await startFakeMattermost();
    t.after(() => fake.close());
    fake.perSecond = 3;
    const h = await startHerald(t, yaml(`{name: mm, type: mattermost, concurrency: 4, max_per_second: 20, url: "${fake.url}${fake.hookPath}"}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 8 }, (_, i) => ({ title: `n${i}` })) });
    await eventually(async () => fake.accepted.length === 8 && (await deliveries(h)).every((d) => d.state === 'succeeded'), 20_000, 'all delivered');
    assert.ok(
      fake.rejected.some((r) => r.status === 429),
      'the fake did rate-limit',
    );
    assert.equal(fake.earlyAfterRetry, 0, 'nothing was sent before Retry-After expired');
    assert.ok(
      (await deliveries(h)).every((d) => d.attempts === 1),
      '429s did not use up attempts',
    );
    // Pacing is measured at arrival: the first request pays for the connection, so spacing is checked from the second on.
    for (let i = 2; i < fake.accepted.length; i++) assert.ok((fake.accepted[i]?.at ?? 0) - (fake.accepted[i - 1]?.at ?? 0) >= 40, 'paced at 20/s');
  });

  it('answers: invalid webhook and locked channel are dead at once without leaking the key; 5xx is retried', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMattermost();
    t.after(() => fake.close());
    fake.lockedToChannel = 'alerts';
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - {name: gone, type: mattermost, url: "${fake.url}/hooks/wrongkey0000secret"}
  - {name: locked, type: mattermost, url: "${fake.url}${fake.hookPath}", channel: town-square}
routes: [{receivers: [gone, locked]}]
`,
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'dead'), 5000, 'both dead');
    await drain(h);
    assert.deepEqual(fake.rejected.map((r) => r.status).sort(), [400, 403]);
    const errors = (await deliveries(h)).map((d) => d.last_error ?? '').join('\n');
    assert.ok(!errors.includes('wrongkey0000secret') && !h.logLines.join('\n').includes('wrongkey0000secret'), 'the key is not leaked');
    const h2 = await startHerald(t, yaml(`{name: mm, type: mattermost, url: "${fake.url}${fake.hookPath}"}`));
    fake.script = [{ status: 500 }, { status: 503 }];
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
    assert.equal(issues('receivers: [{name: m, type: mattermost}]').length, 1);
    assert.equal(issues('receivers: [{name: m, type: mattermost, url: "https://mm.example/hooks/k", icon_emoji: ":fire:"}]').length, 1);
    assert.equal(issues('receivers: [{name: m, type: mattermost, url: "https://mm.example/hooks/k", channel: ""}]').length, 1);
    assert.deepEqual(issues('receivers: [{name: m, type: mattermost, url: "https://mm.example/hooks/k", channel: alerts, icon_emoji: fire}]'), []);
    const ch = 'q1w2e3r4t5y6u7i8o9p0a1s2d3';
    assert.match(issues('receivers: [{name: m, type: mattermost, token: t}]').join(), /api_url: is required with token/);
    assert.match(issues('receivers: [{name: m, type: mattermost, token: t, api_url: "https://mm.example"}]').join(), /channel_id: is required with token/);
    assert.match(issues('receivers: [{name: m, type: mattermost, token: t, url: "https://mm.example/hooks/k"}]').join(), /not both/);
    assert.match(
      issues(`receivers: [{name: m, type: mattermost, token: t, api_url: "https://mm.example", channel_id: ${ch}, username: x}]`).join(),
      /overrides belong/,
    );
    assert.deepEqual(issues(`receivers: [{name: m, type: mattermost, token: t, api_url: "https://mm.example", channel_id: ${ch}}]`), []);
  });

  it('with a bot token: posts through the REST API and a resolve patches the incident’s post (across a restart)', { timeout: 30_000 }, async (t) => {
    const fake = await startFakeMattermost();
    t.after(() => fake.close());
    const { tempDir } = await import('../../../test/helpers/harness.js');
    const dir = tempDir(t);
    const cfg = yaml(`{name: mm, type: mattermost, token: ${fake.token}, api_url: "${fake.url}", channel_id: ${fake.channelId}}`);
    const post = (h: Awaited<ReturnType<typeof startHerald>>, payload: object) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });
    const first = await startHerald(t, cfg, { dir });
    await post(first, { title: 'db-1 down @channel', status: 'firing', severity: 'critical', key: 'db-1' });
    await eventually(() => fake.posts.size === 1, 5000, 'posted');
    const [entry] = [...fake.posts.entries()];
    assert.ok(entry);
    const [id, created] = entry;
    assert.match(created.message, /^\*\*\[FIRING\] db\\-1 down @\u200bchannel\*\*/, 'escaped and defused as with the webhook');
    assert.equal(attachmentOf(created.props).color, '#D0021B');
    await eventually(async () => (await deliveries(first)).every((d) => d.state === 'succeeded'), 5000, 'recorded');
    await first.stop();

    const second = await startHerald(t, cfg, { dir });
    await post(second, { title: 'db-1 up', status: 'resolved', key: 'db-1' });
    await eventually(() => created.edits === 1, 5000, 'patched');
    assert.equal(fake.posts.size, 1, 'one post for the incident');
    assert.match(created.message, /^\*\*\[RESOLVED\] db\\-1 up\*\*/);
    assert.equal(attachmentOf(created.props).color, '#2EB67D');
    assert.deepEqual(
      fake.apiRequests.map((r) => `${r.method} ${r.path}`),
      ['POST /api/v4/posts', `PUT /api/v4/posts/${id}/patch`],
    );
    // A post deleted meanwhile: the resolve is posted anew.
    await post(second, { title: 'q full', status: 'firing', key: 'q' });
    await eventually(() => fake.posts.size === 2, 5000, 'second incident posted');
    fake.posts.clear();
    await post(second, { title: 'q ok', status: 'resolved', key: 'q' });
    await eventually(() => fake.posts.size === 1, 5000, 'resolve posted as a new post after the 404');
    await eventually(async () => (await deliveries(second)).every((d) => d.state === 'succeeded'), 5000, 'all delivered');
    assert.ok(!second.logLines.join('\n').includes(fake.token), 'token never logged');
  });
});
