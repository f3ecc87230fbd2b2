import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { requireHmac } from '@herald/sdk';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';
import { normalizeGitHub } from './normalize.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const SECRET = 'github-hook-secret-123';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('github source', () => {
  it("verifies GitHub's published X-Hub-Signature-256 test vector", () => {
    // docs.github.com "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!".
    const req = {
      method: 'POST',
      query: {},
      rawBody: Buffer.from('Hello, World!'),
      headers: { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' },
    };
    requireHmac(req, 'X-Hub-Signature-256', { secret: "It's a Secret to Everybody", prefix: 'sha256=' });
    assert.throws(
      () => requireHmac({ ...req, rawBody: Buffer.from('Hello, World?') }, 'X-Hub-Signature-256', { secret: "It's a Secret to Everybody", prefix: 'sha256=' }),
      /does not match/,
    );
  });

  it('maps push, workflow_run, pull_request and ping fixtures', () => {
    const [push] = normalizeGitHub('push', JSON.parse(fixture('push')));
    assert.equal(push?.title, '[Codertocat/Hello-World] 2 commits pushed to main by Codertocat');
    assert.equal(push?.text, 'a10867b Update README.md (Codertocat)\nb20867b Fix <script>alert(1)</script> in docs (Codertocat)');
    assert.deepEqual(push?.labels, { repository: 'Codertocat/Hello-World', event: 'push', sender: 'Codertocat', branch: 'main', user: 'Codertocat' });
    assert.equal(push?.links?.length, 2);
    assert.equal(push?.url, 'https://github.com/Codertocat/Hello-World/compare/6113728f27ae...a10867b14bb7');

    const ok = JSON.parse(fixture('workflow_run.completed'));
    const [passed] = normalizeGitHub('workflow_run', ok);
    assert.deepEqual(
      [passed?.title, passed?.status, passed?.key],
      ['[octo-org/octo-repo] test success on master', 'resolved', 'github:workflow:octo-org/octo-repo:test:master'],
    );
    ok.workflow_run.conclusion = 'failure';
    const [failed] = normalizeGitHub('workflow_run', ok);
    assert.deepEqual([failed?.status, failed?.severity, failed?.key], ['firing', 'error', passed?.key]);

    const [pr] = normalizeGitHub('pull_request', JSON.parse(fixture('pull_request.opened')));
    assert.equal(pr?.title, '[Codertocat/Hello-World] Pull request #2 opened: Update the README with new information.');
    assert.equal(pr?.key, 'github:pr:Codertocat/Hello-World#2');
    assert.deepEqual(normalizeGitHub('ping', JSON.parse(fixture('ping'))), []);
    assert.equal(normalizeGitHub('star', { action: 'created', repository: { full_name: 'a/b' }, sender: { login: 'x' } })[0]?.title, '[a/b] star created by x');
  });

  it('maps every example in @octokit/webhooks-examples; events without a repository are titled by the account they concern, never "[github]"', () => {
    const all = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: Record<string, unknown>[] }[];
    let repoless = 0;
    for (const { name, examples } of all) {
      for (const [i, payload] of examples.entries()) {
        const events = normalizeGitHub(name, payload);
        if (name === 'ping') continue;
        assert.equal(events.length, 1, `${name}[${i}]`);
        const title = events[0]?.title ?? '';
        assert.doesNotMatch(title, /\b0 commits\b/, `${name}[${i}]: ${title}`);
        const repo = (payload.repository as { full_name?: string } | undefined)?.full_name;
        if (repo) {
          assert.ok(title.startsWith(`[${repo}] `), `${name}[${i}]: ${title}`);
          continue;
        }
        repoless++;
        const org = (payload.organization as { login?: string } | undefined)?.login;
        const account =
          org ??
          (payload.installation as { account?: { login?: string } } | undefined)?.account?.login ??
          (payload.sponsorship as { sponsorable?: { login?: string } } | undefined)?.sponsorable?.login ??
          (payload.marketplace_purchase as { account?: { login?: string } } | undefined)?.account?.login ??
          (payload.sender as { login?: string } | undefined)?.login ??
          'GitHub';
        assert.ok(title.startsWith(`[${account}] `), `${name}[${i}]: ${title} (expected the prefix [${account}])`);
        if (org) assert.equal(events[0]?.labels?.organization, org, `${name}[${i}]: an organization label`);
      }
    }
    assert.ok(repoless >= 40, `the package has many repository-less examples (${repoless})`);
    const [sponsorship] = normalizeGitHub('sponsorship', all.find((e) => e.name === 'sponsorship')?.examples[0]);
    assert.equal(sponsorship?.title, '[octocat] sponsorship created by monalisa');
    const [advisory] = normalizeGitHub('security_advisory', all.find((e) => e.name === 'security_advisory')?.examples[0]);
    assert.match(advisory?.title ?? '', /^\[GitHub\] Security advisory GHSA-rf4j-j272-fj86 published: /);
  });

  it('accepts signed deliveries end to end and refuses unsigned, tampered, wrong-secret and wrong-length ones with 401', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources: [{name: gh, type: github, secret: ${SECRET}}]
receivers: [{name: out, type: webhook, url: "${sink.url}/hook"}]
routes: [{receivers: [out]}]
`,
    );
    const body = fixture('push');
    const post = (headers: Record<string, string>, payload = body) =>
      h.herald.server.inject({
        method: 'POST',
        url: '/hooks/gh',
        payload,
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd-1', ...headers },
      });
    const ok = await post({ 'x-hub-signature-256': sign(body) });
    assert.equal(ok.statusCode, 202, ok.body);
    await eventually(() => sink.requests.length === 1, 5000, 'delivered');
    assert.equal(JSON.parse(sink.requests[0]?.body ?? '{}').event.title, '[Codertocat/Hello-World] 2 commits pushed to main by Codertocat');

    const again = await post({ 'x-hub-signature-256': sign(body) });
    assert.equal(again.headers['idempotent-replayed'], 'true', 'a redelivery (same X-GitHub-Delivery) is stored once');
    assert.deepEqual(again.json().ids, ok.json().ids);

    const tampered = body.replace('Update README.md', 'Update README.mD');
    const refused: [Record<string, string>, string, RegExp][] = [
      [{}, body, /missing X-Hub-Signature-256/],
      [{ 'x-hub-signature-256': sign(body) }, tampered, /does not match/],
      [{ 'x-hub-signature-256': sign(body, 'wrong-secret') }, body, /does not match/],
      [{ 'x-hub-signature-256': 'sha256=abc' }, body, /does not match/],
      [{ 'x-hub-signature-256': `${sign(body)}00` }, body, /does not match/],
    ];
    for (const [headers, payload, detail] of refused) {
      const res = await post({ ...headers, 'x-github-delivery': 'd-2' }, payload);
      assert.equal(res.statusCode, 401, res.body);
      assert.match(res.json().detail, detail);
    }
    const ping = fixture('ping');
    const pong = await post({ 'x-github-event': 'ping', 'x-hub-signature-256': sign(ping), 'x-github-delivery': 'd-3' }, ping);
    assert.equal(pong.statusCode, 200);
    assert.deepEqual(pong.json().ids, []);
    const events = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    assert.equal(events.length, 1, 'only the one valid delivery was stored');
  });
});
