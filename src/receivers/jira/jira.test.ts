import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { incidentTag } from '@herald/sdk';
import { receiverConformance } from '@herald/sdk/testing';
import { adfText, type FakeJira, startFakeJira } from '../../../test/fakes/jira.js';
import { deliveries, eventually, FakeClock, startHerald, type TestHerald, tempDir } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import { adfDocument } from './adf.js';
import jira from './index.js';

const MIN = 60_000;
type T = Parameters<typeof startHerald>[0];

receiverConformance(jira, {
  templates: createTemplateEngine(),
  config: (base) => filledConfig(jira, { url: base, project: 'OPS', email: 'bot@example.com', api_token: 'jira-conformance-token-123' }),
  secrets: ['jira-conformance-token-123'],
  // The look-up answers an issue list, the create an issue key: one body serves both.
  okBody: JSON.stringify({ issues: [], key: 'OPS-1' }),
  // Every step reads its answer (search results, the new issue's key); Jira answers those 200/201, never 204.
  successStatuses: [200, 201, 202],
  invalidConfigs: [
    {},
    { url: 'https://x.atlassian.net', project: 'OPS' },
    { url: 'https://x.atlassian.net', project: 'ops', email: 'a@b.c', api_token: 't' },
    { url: 'https://x.atlassian.net', project: 'OPS', email: 'a@b.c' },
    { url: 'https://x.atlassian.net', project: 'OPS', email: 'a@b.c', api_token: 't', token: 'pat' },
    { url: 'https://x.atlassian.net', project: 'OPS', token: 'pat', labels: ['has space'] },
  ],
});

const yaml = (fake: FakeJira, extra = '', policy = '{repeat_interval: 10m, group_interval: 0s}') => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers:
  - name: tickets
    type: jira
    url: "${fake.url}"
    project: OPS
    issue_type: Incident
${fake.version === '3' ? `    email: ${fake.email}\n    api_token: ${fake.apiToken}` : `    api_version: "2"\n    token: ${fake.bearer}`}
    labels: [herald, alerts]
${extra}
routes:
  - name: ops
    policy: ${policy}
    receivers: [tickets]
`;

const post = (h: TestHerald, payload: object) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });
const settled = (h: TestHerald, n: number) =>
  eventually(
    async () => {
      const ds = await deliveries(h);
      return ds.length >= n && ds.every((d) => d.state === 'succeeded' || d.state === 'dead');
    },
    15_000,
    `${n} deliveries settled`,
  );

async function herald(t: T, fake: FakeJira, o: { clock?: FakeClock; dir?: string; extra?: string; policy?: string } = {}) {
  return startHerald(t, yaml(fake, o.extra, o.policy), { clock: o.clock, dir: o.dir });
}

describe('jira receiver', () => {
  it('fire → one issue, repeat → comment, restart keeps the link, resolve → comment and Done; nothing leaks the token', async (t) => {
    const fake = await startFakeJira();
    t.after(() => fake.close());
    const clock = new FakeClock();
    const dir = tempDir(t);
    const first = await herald(t, fake, { clock, dir, extra: '    priorities: {critical: Highest, error: High}' });
    await post(first, {
      title: 'db-1 down',
      text: 'ping failed\nsince 12:00\n\nsee https://grafana.example/d/1',
      status: 'firing',
      severity: 'critical',
      key: 'db-1',
      labels: { host: 'db-1' },
    });
    await eventually(() => fake.issues.size === 1, 15_000, 'issue created');
    const issue = fake.issues.get('OPS-1');
    assert.ok(issue);
    assert.equal(issue.fields.summary, 'db-1 down');
    assert.deepEqual(issue.fields.issuetype, { name: 'Incident' });
    assert.deepEqual(issue.fields.priority, { name: 'Highest' });
    assert.deepEqual(issue.fields.labels, ['herald', 'alerts', incidentTag('db-1')]);
    assert.equal(adfText(issue.fields.description), 'ping failed\nsince 12:00\n\nsee https://grafana.example/d/1');
    assert.deepEqual(fake.rejected, []);

    clock.advance(10 * MIN);
    await eventually(() => issue.comments.length === 1, 15_000, 'repeat comment');
    assert.match(adfText(issue.comments[0]), /^Still firing: db-1 down \(1 times seen\)/);
    await first.stop();

    const second = await herald(t, fake, { clock, dir, extra: '    priorities: {critical: Highest, error: High}' });
    clock.advance(10 * MIN);
    await eventually(() => issue.comments.length === 2, 15_000, 'repeat after the restart comments on the same issue');
    await post(second, { title: 'db-1 up', status: 'resolved', key: 'db-1' });
    await eventually(() => issue.status.category === 'done', 15_000, 'issue closed');
    assert.equal(fake.issues.size, 1, 'one issue for the incident');
    assert.match(adfText(issue.comments[2]), /^Resolved: db-1 up/);
    const closes = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/transitions'));
    assert.deepEqual(
      closes.map((r) => r.body),
      [{ transition: { id: '31' } }],
      'the first transition into the Done category',
    );
    assert.ok(!second.logLines.join('\n').includes(fake.apiToken), 'token never logged');
    const listed = JSON.stringify((await second.herald.server.inject({ method: 'GET', url: '/api/v1/deliveries?limit=50' })).json());
    assert.ok(!listed.includes(fake.apiToken), 'token never in the API');
  });

  it('a create whose answer was lost is found again by its label: still one issue', async (t) => {
    const fake = await startFakeJira();
    t.after(() => fake.close());
    fake.script.push({ match: 'POST /rest/api/3/issue', status: 502, after: true, body: { errorMessages: ['bad gateway'] } });
    const h = await herald(t, fake);
    await post(h, { title: 'queue stuck', status: 'firing', key: 'queue' });
    await settled(h, 1);
    const [d] = await deliveries(h);
    assert.equal(d?.state, 'succeeded');
    assert.equal(d?.attempts, 2, 'the 502 was retried');
    assert.equal(fake.issues.size, 1, 'the retry adopted the issue the lost create had opened');
    await post(h, { title: 'queue ok', status: 'resolved', key: 'queue' });
    await eventually(() => fake.issues.get('OPS-1')?.status.category === 'done', 15_000, 'closed through the adopted issue');
  });

  it('a resolve for a key that never opened an issue sends nothing but the look-up', async (t) => {
    const fake = await startFakeJira();
    t.after(() => fake.close());
    // Without a policy, an unknown resolve reaches the receiver directly.
    const h = await startHerald(t, yaml(fake).replace(/ {2}- name: ops\n {4}policy: .*\n/, '  - name: ops\n'));
    await post(h, { title: 'stale', status: 'resolved', key: 'unknown-key' });
    await settled(h, 1);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ['POST /rest/api/3/search/jql'],
    );
    assert.equal(fake.issues.size, 0);
  });

  it('Jira’s 400 explanation is kept; a missing resolve transition names the ones available', async (t) => {
    const fake = await startFakeJira();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      yaml(fake, '    priorities: {critical: Urgent}\n    resolve_transition: Finish').replace(/ {2}- name: ops\n {4}policy: .*\n/, '  - name: ops\n'),
    );
    await post(h, { title: 'bad priority', status: 'firing', severity: 'critical', key: 'p' });
    await settled(h, 1);
    let [d] = await deliveries(h);
    assert.equal(d?.state, 'dead');
    assert.match(String(d?.last_error), /HTTP 400.*priority: Specify a valid priority/);

    await post(h, { title: 'fine', status: 'firing', severity: 'warning', key: 'w' });
    await eventually(() => fake.issues.size === 1, 15_000, 'created');
    await post(h, { title: 'fine again', status: 'resolved', key: 'w' });
    await settled(h, 3);
    [d] = await deliveries(h);
    assert.equal(d?.state, 'dead');
    assert.match(String(d?.last_error), /no transition named "Finish" \(available: To Do, Start, Close\)/);
  });

  it('API v2 (Data Center): bearer token, plain-text description, /rest/api/2/search', async (t) => {
    const fake = await startFakeJira({ version: '2' });
    t.after(() => fake.close());
    const h = await herald(t, fake);
    await post(h, { title: 'cert expires', text: 'in 3 days', status: 'firing', key: 'cert' });
    await eventually(() => fake.issues.size === 1, 15_000, 'created');
    assert.equal(fake.issues.get('OPS-1')?.fields.description, 'in 3 days');
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${fake.bearer}`);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path}`),
      ['POST /rest/api/2/search', 'POST /rest/api/2/issue'],
    );
    await post(h, { title: 'cert renewed', status: 'resolved', key: 'cert' });
    await eventually(() => fake.issues.get('OPS-1')?.status.category === 'done', 15_000, 'closed');
    assert.equal(fake.issues.get('OPS-1')?.comments[0], 'Resolved: cert renewed (1 times seen)');
  });
});

describe('adfDocument', () => {
  it('paragraphs, hard breaks and links; markup stays text', () => {
    assert.deepEqual(adfDocument('a <b>\nsee https://x.test/1?q=2\n\n\nlast'), {
      type: 'doc',
      version: 1,
      content: [
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'a <b>' },
            { type: 'hardBreak' },
            { type: 'text', text: 'see ' },
            { type: 'text', text: 'https://x.test/1?q=2', marks: [{ type: 'link', attrs: { href: 'https://x.test/1?q=2' } }] },
          ],
        },
        { type: 'paragraph', content: [{ type: 'text', text: 'last' }] },
      ],
    });
  });
});
