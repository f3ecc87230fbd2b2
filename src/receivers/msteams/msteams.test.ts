import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeTeams, validateTeamsMessage } from '../../../test/fakes/msteams.js';
import { deliveries, drain, eventually, startHerald } from '../../../test/helpers/harness.js';

const yaml = (receiver: string) => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - ${receiver}
routes: [{receivers: [teams]}]
`;

type Card = {
  $schema: string;
  type: string;
  version: string;
  body: { type: string; text?: string; color?: string; facts?: { title: string; value: string }[] }[];
  actions?: { type: string; title: string; url: string }[];
};
const cardOf = (body: Record<string, unknown> | undefined) => ((body?.attachments ?? []) as { content: Card }[])[0]?.content as Card;

describe('msteams receiver', () => {
  it('posts one Adaptive Card 1.4 in the Workflows envelope; 202 is delivered', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTeams();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: teams, type: msteams, url: "${fake.url}${fake.triggerPath}"}`));
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
    assert.equal(got?.body.type, 'message');
    const att = ((got?.body.attachments ?? []) as Record<string, unknown>[])[0];
    assert.equal(att?.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(att?.contentUrl, null);
    const card = cardOf(got?.body);
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.4');
    assert.equal(card.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
    assert.deepEqual(
      card.body.map((b) => b.type),
      ['TextBlock', 'TextBlock', 'FactSet', 'TextBlock'],
    );
    assert.equal(card.body[0]?.text, '[FIRING] db\\-1 down');
    assert.equal(card.body[0]?.color, 'Attention');
    assert.equal(card.body[1]?.text, 'ping failed');
    assert.deepEqual(card.body[2]?.facts, [{ title: 'env', value: 'prod' }]);
    assert.equal(card.body[3]?.text, 'FIRING · critical · key: db\\-1');
    assert.deepEqual(card.actions, [
      { type: 'Action.OpenUrl', title: 'Open', url: 'https://grafana.example/d/1' },
      { type: 'Action.OpenUrl', title: 'Runbook', url: 'https://wiki.example/rb' },
    ]);
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.accepted.length === 2, 5000, 'resolve accepted');
    assert.equal(cardOf(fake.accepted[1]?.body).body[0]?.color, 'Good');
  });

  it('escapes untrusted text: no Markdown links or formatting, no <at> mentions, no card functions', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTeams();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: teams, type: msteams, url: "${fake.url}${fake.triggerPath}"}`));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: '**urgent** [login](https://evil.example) <at>Bob</at>',
        text: 'due {{DATE(2017-02-14T06:00:00Z, SHORT)}}\n- item _x_',
        labels: { note: '[x](https://evil.example) **b**' },
      },
    });
    await eventually(() => fake.accepted.length === 1, 5000, 'accepted');
    const card = cardOf(fake.accepted[0]?.body);
    assert.equal(card.body[0]?.text, '\\*\\*urgent\\*\\* \\[login\\]\\(https://evil\\.example\\) \\<at\\>Bob\\</at\\>');
    assert.equal(card.body[1]?.text, 'due \\{\\{DATE\\(2017\\-02\\-14T06:00:00Z, SHORT\\)\\}\\}\n\\- item \\_x\\_');
    assert.deepEqual(card.body[2]?.facts, [{ title: 'note', value: '\\[x\\]\\(https://evil\\.example\\) \\*\\*b\\*\\*' }]);
  });

  it('keeps the request under 28 KB: labels give way, then the text is cut with a marker', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTeams();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(`{name: teams, type: msteams, url: "${fake.url}${fake.triggerPath}"}`));
    const labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`label${i}`, '-'.repeat(1000)]));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'big', text: 'é-'.repeat(20_000), labels } });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'small', text: 'fits' } });
    await eventually(() => fake.accepted.length === 2, 5000, `both accepted ${JSON.stringify(fake.rejected)}`);
    assert.deepEqual(fake.rejected, []);
    const big = fake.accepted.find((a) => cardOf(a.body).body[0]?.text === 'big');
    assert.ok(big && big.bytes <= 28 * 1024 && big.bytes > 27 * 1024, `${big?.bytes} bytes: full but not over`);
    assert.deepEqual(validateTeamsMessage(big.body), []);
    assert.ok(cardOf(big.body).body[1]?.text?.endsWith('… (truncated)'));
    const facts = cardOf(big.body).body.find((b) => b.type === 'FactSet')?.facts ?? [];
    assert.ok(facts.length > 0 && facts.length < 20, `${facts.length} labels kept`);
  });

  it('paces sends and honours 429 Retry-After; all are delivered and no attempt is used up', { timeout: 30_000 }, async (t) => {
    const fake = await startFakeTeams();
    t.after(() => fake.close());
    fake.limit = 2;
    fake.windowMs = 1000;
    fake.retryAfterSeconds = 1;
    const h = await startHerald(t, yaml(`{name: teams, type: msteams, concurrency: 4, max_per_second: 10, url: "${fake.url}${fake.triggerPath}"}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: Array.from({ length: 6 }, (_, i) => ({ title: `n${i}` })) });
    await eventually(async () => fake.accepted.length === 6 && (await deliveries(h)).every((d) => d.state === 'succeeded'), 20_000, 'all delivered');
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
    for (let i = 2; i < fake.accepted.length; i++) assert.ok((fake.accepted[i]?.at ?? 0) - (fake.accepted[i - 1]?.at ?? 0) >= 90, 'paced at 10/s');
  });

  it('answers: a wrong sig is dead at once (auth) without leaking it; 5xx is retried', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTeams();
    t.after(() => fake.close());
    const wrong = fake.triggerPath.replace(fake.sig, 'WRONGSIGxyz123');
    const h = await startHerald(t, yaml(`{name: teams, type: msteams, url: "${fake.url}${wrong}"}`));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    await drain(h);
    assert.deepEqual(
      fake.rejected.map((r) => r.status),
      [401],
    );
    const [d] = await deliveries(h);
    assert.match(d?.last_error ?? '', /401/);
    assert.ok(!(d?.last_error ?? '').includes('WRONGSIGxyz123'));
    assert.ok(!h.logLines.join('\n').includes('WRONGSIGxyz123'), 'the sig is not logged');
    const h2 = await startHerald(t, yaml(`{name: teams, type: msteams, url: "${fake.url}${fake.triggerPath}"}`));
    fake.script = [{ status: 502 }, { status: 503 }];
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
    assert.equal(issues('receivers: [{name: t, type: msteams}]').length, 1);
    assert.equal(issues('receivers: [{name: t, type: msteams, url: "ftp://x"}]').length, 1);
    assert.equal(issues('receivers: [{name: t, type: msteams, url: "https://x.example/w", max_per_second: 0}]').length, 1);
    assert.deepEqual(issues('receivers: [{name: t, type: msteams, url: "https://x.example/w?sig=abc"}]'), []);
  });
});
