import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incidentTag } from '@herald/sdk';
import { receiverConformance } from '@herald/sdk/testing';
import { type FakeGithub, startFakeGithub } from '../../../test/fakes/github-issues.js';
import { deliveries, eventually, FakeClock, startHerald, type TestHerald, tempDir } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import githubIssues from './index.js';

const MIN = 60_000;
type T = Parameters<typeof startHerald>[0];

receiverConformance(githubIssues, {
  templates: createTemplateEngine(),
  config: (base) => filledConfig(githubIssues, { repository: 'acme/ops', token: 'ghp_conformanceSecret0123456789', api_url: base }),
  secrets: ['ghp_conformanceSecret0123456789'],
  // The look-up answers a list, the create an issue: the list is asked for with GET.
  okBody: ({ method }) => (method === 'GET' ? '[]' : JSON.stringify({ number: 1 })),
  // Every step reads its answer (the list, the new issue's number); GitHub answers those 200/201, never 204.
  successStatuses: [200, 201, 202],
  invalidConfigs: [{}, { repository: 'acme' }, { repository: 'acme/ops' }, { repository: 'acme/ops', token: 't', labels: [''] }],
});

const yaml = (fake: FakeGithub, o: { extra?: string; policy?: string } = {}) => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - name: issues
    type: github-issues
    repository: ${fake.repository}
    token: ${fake.token}
    api_url: "${fake.url}"
    labels: [incident]
${o.extra ?? ''}
routes:
  - name: ops
${o.policy === '' ? '' : `    policy: ${o.policy ?? '{repeat_interval: 10m, group_interval: 0s}'}\n`}    receivers: [issues]
`;

const post = (h: TestHerald, payload: object) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });

async function herald(t: T, fake: FakeGithub, o: { clock?: FakeClock; dir?: string; extra?: string; policy?: string } = {}) {
  return startHerald(t, yaml(fake, o), { clock: o.clock, dir: o.dir });
}

describe('github-issues receiver', () => {
  it('fire → one issue, repeat → comment, restart keeps the link, resolve → comment and closed as completed', async (t) => {
    const fake = await startFakeGithub();
    t.after(() => fake.close());
    const clock = new FakeClock();
    const dir = tempDir(t);
    const first = await herald(t, fake, { clock, dir, extra: '    assignees: [octocat]' });
    await post(first, {
      title: 'api 5xx @hubot',
      text: 'error rate *12%* <b>',
      status: 'firing',
      severity: 'error',
      key: 'api-5xx',
      url: 'https://grafana.example/d/2',
    });
    await eventually(() => fake.issues.length === 1, 15_000, 'issue opened');
    const [issue] = fake.issues;
    assert.ok(issue);
    assert.equal(issue.title, 'api 5xx @\u200bhubot', 'a mention in the event does not ping');
    assert.equal(issue.body, 'error rate \\*12%\\* \\<b\\>\n\n<https://grafana.example/d/2>', 'event text is Markdown-escaped, the URL an autolink');
    assert.deepEqual(issue.labels, ['incident', incidentTag('api-5xx')]);
    assert.deepEqual(issue.assignees, ['octocat']);

    clock.advance(10 * MIN);
    await eventually(() => issue.comments.length === 1, 15_000, 'repeat comment');
    assert.match(issue.comments[0] ?? '', /^Still firing: api 5xx @\u200bhubot \(1 times seen\)/);
    await first.stop();

    const second = await herald(t, fake, { clock, dir, extra: '    assignees: [octocat]' });
    clock.advance(10 * MIN);
    await eventually(() => issue.comments.length === 2, 15_000, 'repeat after the restart on the same issue');
    await post(second, { title: 'api ok', status: 'resolved', key: 'api-5xx' });
    await eventually(() => issue.state === 'closed', 15_000, 'closed');
    assert.equal(issue.state_reason, 'completed');
    assert.equal(issue.comments[2], 'Resolved: api ok (1 times seen)');
    assert.equal(fake.issues.length, 1, 'one issue for the incident');
    assert.deepEqual(fake.rejected, []);
    assert.ok(!second.logLines.join('\n').includes(fake.token), 'token never logged');
  });

  it('a create whose answer was lost is found again by its label; a rate limit waits for x-ratelimit-reset without using an attempt', async (t) => {
    const fake = await startFakeGithub();
    t.after(() => fake.close());
    const clock = new FakeClock();
    const reset = Math.floor(clock.now() / 1000) + 60;
    fake.script.push(
      { match: 'POST /repos/acme/ops/issues', status: 502, after: true, body: { message: 'Server Error' } },
      {
        match: 'GET /repos/acme/ops/issues',
        status: 403,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
        body: { message: 'API rate limit exceeded' },
      },
    );
    const h = await herald(t, fake, { clock });
    await post(h, { title: 'queue stuck', status: 'firing', key: 'queue' });
    // First look-up is rate limited; the delivery waits a minute of Herald's clock.
    await eventually(async () => (await deliveries(h))[0]?.last_error?.includes('rate limited') === true, 15_000, 'rate limited');
    assert.equal(fake.issues.length, 0);
    clock.advance(61_000);
    // Advance only once Herald has recorded the 502: its retry is scheduled from the clock at that moment.
    await eventually(async () => (await deliveries(h))[0]?.last_status === 502, 15_000, 'the create answered 502 after opening the issue');
    clock.advance(1000);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 15_000, 'delivered');
    const [d] = await deliveries(h);
    assert.equal(fake.issues.length, 1, 'the retry after the lost answer adopted the issue instead of opening a second');
    assert.equal(d?.attempts, 2, 'the 502 used an attempt, the rate limit did not');
  });

  it('422 explanations are kept and permanent', async (t) => {
    const fake = await startFakeGithub();
    t.after(() => fake.close());
    const h = await herald(t, fake, { extra: '    assignees: [stranger]', policy: '' });
    await post(h, { title: 'x', status: 'firing', key: 'x' });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 15_000, 'dead');
    const [d] = await deliveries(h);
    assert.match(String(d?.last_error), /HTTP 422.*Validation Failed \(assignees invalid\)/);
    assert.equal(fake.issues.length, 0);
  });
});
