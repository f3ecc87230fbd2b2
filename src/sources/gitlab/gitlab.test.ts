import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';
import { StoreUnavailableError } from '../../store/types.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const TOKEN = 'gitlab-secret-token-0123';

async function setup(t: Parameters<typeof startHerald>[0]) {
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - {name: gl, type: gitlab, token: ${TOKEN}}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  const post = (body: string, headers: Record<string, string> = {}) =>
    h.herald.server.inject({
      method: 'POST',
      url: '/hooks/gl',
      payload: body,
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': TOKEN, ...headers },
    });
  const stored = async () => (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as { title: string; key?: string }[];
  return { sink, h, post, stored };
}

describe('gitlab source', () => {
  it('takes a push with the right X-Gitlab-Token and delivers it; refuses missing, wrong and wrong-length tokens with 401, storing nothing', async (t) => {
    const { sink, h, post, stored } = await setup(t);
    const ok = await post(fixture('push'));
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(ok.json().ids.length, 1);
    await eventually(() => sink.requests.length === 1, 5000, 'delivered');
    const event = JSON.parse(sink.requests[0]?.body ?? '{}').event;
    assert.equal(event.title, '[mike/diaspora] 4 commits pushed to master by jsmith');
    assert.equal(event.source, 'gl');
    assert.equal(event.links.length, 2);

    const refused: [Record<string, string>, RegExp][] = [
      [{ 'x-gitlab-token': '' }, /missing X-Gitlab-Token/],
      [{ 'x-gitlab-token': 'gitlab-secret-token-0124' }, /does not match/],
      [{ 'x-gitlab-token': 'x' }, /does not match/],
      [{ 'x-gitlab-token': `${TOKEN}${'x'.repeat(500)}` }, /does not match/],
    ];
    for (const [headers, detail] of refused) {
      const res = await post(fixture('push'), headers);
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(res.json().error, 'invalid_signature');
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, 1, 'refused requests stored nothing');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="gl",reason="invalid_signature"\} 4/);
  });

  it('maps pipeline and merge request hooks by X-Gitlab-Event and stores a retried delivery once (Idempotency-Key, then X-Gitlab-Event-UUID)', async (t) => {
    const { post, stored } = await setup(t);
    const failed = JSON.parse(fixture('pipeline'));
    failed.object_attributes.status = 'failed';
    const body = JSON.stringify(failed);
    const headers = { 'x-gitlab-event': 'Pipeline Hook', 'idempotency-key': 'f5e5f430-f57b-4e6e-9fac-d9128cd7232f' };
    const first = await post(body, headers);
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(body, headers);
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.json().ids, first.json().ids);

    const mrHeaders = { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-event-uuid': '13792a34-cac6-4fda-95a8-c58e00a3954e' };
    const mr = await post(fixture('merge_request'), mrHeaders);
    assert.equal(mr.statusCode, 202, mr.body);
    const mrAgain = await post(fixture('merge_request'), mrHeaders);
    assert.equal(mrAgain.headers['idempotent-replayed'], 'true');

    const events = await stored();
    assert.equal(events.length, 2, 'each retried delivery stored once');
    assert.deepEqual(events.map((e) => e.key).sort(), ['gitlab:mr:gitlabhq/gitlab-test!1', 'gitlab:pipeline:gitlab-org/gitlab-test:master']);
    const pipeline = events.find((e) => e.key?.startsWith('gitlab:pipeline')) as unknown as { status: string; severity: string };
    assert.deepEqual([pipeline.status, pipeline.severity], ['firing', 'error']);
  });

  it('answers malformed JSON, a missing X-Gitlab-Event and non-JSON bodies with precise 4xx errors and stores nothing', async (t) => {
    const { post, stored } = await setup(t);
    const cases: [string, Record<string, string>, number, string, RegExp][] = [
      ['{"object_kind": "push",', {}, 400, 'invalid_payload', /not valid JSON/],
      ['', {}, 400, 'invalid_payload', /empty/],
      ['[1,2]', {}, 400, 'invalid_payload', /JSON object/],
      [fixture('push'), { 'x-gitlab-event': '' }, 400, 'invalid_payload', /missing X-Gitlab-Event/],
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

  it('does not acknowledge a delivery while the store is unavailable; GitLab retries it later and it is stored once', async (t) => {
    const { h, post, stored } = await setup(t);
    const store = h.herald.storeForTests();
    const original = store.commitIngest;
    store.commitIngest = () => Promise.reject(new StoreUnavailableError('disk on fire'));
    const headers = { 'idempotency-key': 'retry-1' };
    try {
      const res = await post(fixture('push'), headers);
      assert.equal(res.statusCode, 503, res.body);
    } finally {
      store.commitIngest = original;
    }
    assert.equal((await stored()).length, 0);
    const retry = await post(fixture('push'), headers);
    assert.equal(retry.statusCode, 202);
    assert.equal((await stored()).length, 1);
  });
});
