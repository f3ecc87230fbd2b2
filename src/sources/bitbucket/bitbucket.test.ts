import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventually, registry, startHerald, startSink } from '../../../test/helpers/harness.js';
import { parseConfig } from '../../config/load.js';
import { StoreUnavailableError } from '../../store/types.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const SECRET = 'bitbucket-webhook-secret-0123';
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

async function setup(t: Parameters<typeof startHerald>[0], source = `{name: bb, type: bitbucket, secret: ${SECRET}}`) {
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - ${source}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  /** Posts `body` signed with the right secret unless `x-hub-signature` is given (an empty value leaves the header out). */
  const post = (body: string, headers: Record<string, string> = {}) => {
    const all: Record<string, string> = {
      'content-type': 'application/json',
      'x-event-key': 'repo:push',
      'x-hook-uuid': 'f5a2a9f1-ae6c-4b80-9d8c-8c0e0bd26a5a',
      'x-hub-signature': sign(body),
      ...headers,
    };
    for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
    return h.herald.server.inject({ method: 'POST', url: '/hooks/bb', payload: body, headers: all });
  };
  const stored = async () =>
    (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as {
      title: string;
      key?: string;
      status: string;
      severity?: string;
    }[];
  return { sink, h, post, stored };
}

describe('bitbucket source', () => {
  it('takes a push signed with the secret and delivers it; refuses missing, wrong-secret, tampered and wrong-length signatures with 401, storing nothing', async (t) => {
    const { sink, h, post, stored } = await setup(t);
    const body = fixture('repo-push');
    const ok = await post(body);
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(ok.json().ids.length, 1);
    await eventually(() => sink.requests.length === 1, 5000, 'delivered');
    const event = JSON.parse(sink.requests[0]?.body ?? '{}').event;
    assert.equal(event.title, '[team_name/repo_name] 1 commit pushed to name-of-branch by Emma');
    assert.equal(event.source, 'bb');
    assert.equal(event.data.commits.length, 1);

    const tampered = body.replace('commit message', 'evil message');
    const refused: [string, Record<string, string>, RegExp][] = [
      [body, { 'x-hub-signature': '' }, /missing X-Hub-Signature/],
      [body, { 'x-hub-signature': sign(body, 'another-secret-entirely-0') }, /does not match the body/],
      [tampered, { 'x-hub-signature': sign(body) }, /does not match the body/],
      [body, { 'x-hub-signature': 'sha256=abc' }, /does not match the body/],
      [body, { 'x-hub-signature': `${sign(body)}${'0'.repeat(300)}` }, /does not match the body/],
      [body, { 'x-hub-signature': sign(body).slice('sha256='.length) }, /does not match the body/],
      [body, { 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}` }, /does not match the body/],
    ];
    for (const [payload, headers, detail] of refused) {
      const res = await post(payload, headers);
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(res.json().error, 'invalid_signature');
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, 1, 'refused requests stored nothing');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="bb",reason="invalid_signature"\} 7/);
  });

  it('maps pull requests and builds by X-Event-Key, stores a retried delivery (same X-Request-UUID) once, and a passing build resolves the failed one', async (t) => {
    const { sink, post, stored } = await setup(t);
    const pr = fixture('pull-request-created');
    const prHeaders = { 'x-event-key': 'pullrequest:created', 'x-request-uuid': '0f5d1a22-3a5e-4f1b-9c11-5b7d1c2e8a01', 'x-attempt-number': '1' };
    const first = await post(pr, prHeaders);
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(pr, { ...prHeaders, 'x-attempt-number': '2' });
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.json().ids, first.json().ids);

    const failed = JSON.parse(fixture('repo-commit-status-updated'));
    failed.commit_status.state = 'FAILED';
    failed.commit_status.refname = 'main';
    const passed = JSON.parse(fixture('repo-commit-status-updated'));
    passed.commit_status.refname = 'main';
    const build = { 'x-event-key': 'repo:commit_status_updated' };
    assert.equal((await post(JSON.stringify(failed), { ...build, 'x-request-uuid': 'b-1' })).statusCode, 202);
    assert.equal((await post(JSON.stringify(passed), { ...build, 'x-request-uuid': 'b-2' })).statusCode, 202);

    const events = await stored();
    assert.equal(events.length, 3, 'the retried pull request delivery was stored once');
    const builds = events.filter((e) => e.key?.startsWith('bitbucket:build:'));
    assert.deepEqual(builds.map((e) => e.key).sort(), [
      'bitbucket:build:team_name/repo_name:mybuildtool:main',
      'bitbucket:build:team_name/repo_name:mybuildtool:main',
    ]);
    assert.deepEqual(builds.map((e) => `${e.status}/${e.severity}`).sort(), ['firing/error', 'resolved/info']);
    assert.equal(
      events.find((e) => e.key === 'bitbucket:pr:team_name/repo_name#1')?.title,
      '[team_name/repo_name] Pull request #1 opened: Title of pull request (Emma)',
    );
    await eventually(() => sink.requests.length === 3, 5000, 'all three delivered');
  });

  it('answers malformed JSON, a missing X-Event-Key and non-JSON bodies with precise 4xx errors and stores nothing', async (t) => {
    const { post, stored } = await setup(t);
    const cases: [string, Record<string, string>, number, string, RegExp][] = [
      ['{"push": {"changes": [', {}, 400, 'invalid_payload', /not valid JSON/],
      ['', {}, 400, 'invalid_payload', /empty/],
      ['[1,2]', {}, 400, 'invalid_payload', /JSON object/],
      [fixture('repo-push'), { 'x-event-key': '' }, 400, 'invalid_payload', /missing X-Event-Key/],
      ['hello', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', /text\/plain/],
    ];
    for (const [body, headers, status, code, detail] of cases) {
      const res = await post(body, headers);
      assert.equal(res.statusCode, status, `${body.slice(0, 30)}: ${res.body}`);
      assert.equal(res.json().error, code);
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, 0);
  });

  it('does not acknowledge a delivery while the store is unavailable; the retry is stored once', async (t) => {
    const { h, post, stored } = await setup(t);
    const store = h.herald.storeForTests();
    const original = store.commitIngest;
    store.commitIngest = () => Promise.reject(new StoreUnavailableError('disk on fire'));
    const headers = { 'x-request-uuid': 'retry-1' };
    try {
      const res = await post(fixture('repo-push'), headers);
      assert.equal(res.statusCode, 503, res.body);
    } finally {
      store.commitIngest = original;
    }
    assert.equal((await stored()).length, 0);
    const retry = await post(fixture('repo-push'), { ...headers, 'x-attempt-number': '2' });
    assert.equal(retry.statusCode, 202);
    assert.equal((await post(fixture('repo-push'), { ...headers, 'x-attempt-number': '3' })).headers['idempotent-replayed'], 'true');
    assert.equal((await stored()).length, 1);
  });

  it('needs a secret unless allow_unauthenticated is explicit; unsigned webhooks are then taken, and an events list filters by X-Event-Key', async (t) => {
    const parse = (yaml: string) => {
      try {
        parseConfig(yaml, registry(), {});
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.match(parse('sources: [{name: bb, type: bitbucket}]'), /sources\[0\]\.secret: give the webhook secret \(or allow_unauthenticated: true\)/);
    assert.match(parse('sources: [{name: bb, type: bitbucket, allow_unauthenticated: false}]'), /sources\[0\]\.secret: give the webhook secret/);
    assert.match(
      parse('sources: [{name: bb, type: bitbucket, secret: s3cret, allow_unauthenticated: true}]'),
      /sources\[0\]\.allow_unauthenticated: a secret is set/,
    );
    assert.equal(parse('sources: [{name: bb, type: bitbucket, allow_unauthenticated: true}]'), '');

    const { post, stored } = await setup(t, '{name: bb, type: bitbucket, allow_unauthenticated: true, events: ["repo:push"]}');
    const push = await post(fixture('repo-push'), { 'x-hub-signature': '' });
    assert.equal(push.statusCode, 202, push.body);
    const skipped = await post(fixture('repo-fork'), { 'x-hub-signature': '', 'x-event-key': 'repo:fork' });
    assert.equal(skipped.statusCode, 200, skipped.body);
    assert.deepEqual(skipped.json().ids, []);
    assert.equal((await stored()).length, 1);
  });
});
