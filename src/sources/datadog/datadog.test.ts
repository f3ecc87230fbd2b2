import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventually, registry, startHerald, startSink } from '../../../test/helpers/harness.js';
import { parseConfig } from '../../config/load.js';
import { StoreUnavailableError } from '../../store/types.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const TOKEN = 'datadog-hook-token-0123456789';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function setup(t: Parameters<typeof startHerald>[0], sources = `[{name: dd, type: datadog, token: ${TOKEN}}]`) {
  const sink = await startSink();
  t.after(() => sink.close());
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources: ${sources}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  /** Posts with `Authorization: Bearer <TOKEN>` unless overridden (an empty value leaves a header out). */
  const post = (body: string, headers: Record<string, string> = {}, url = '/hooks/dd') => {
    const all: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers };
    for (const [k, v] of Object.entries(all)) if (v === '') delete all[k];
    return h.herald.server.inject({ method: 'POST', url, payload: body, headers: all });
  };
  const stored = async () =>
    (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as {
      title: string;
      key?: string;
      status: string;
      severity?: string;
      source: string;
    }[];
  return { sink, h, post, stored };
}

describe('datadog source', () => {
  it('takes a notification with the right bearer token and delivers it; refuses missing, wrong and wrong-length tokens with 401, storing nothing', async (t) => {
    const { sink, h, post, stored } = await setup(t);
    const ok = await post(fixture('template.triggered'));
    assert.equal(ok.statusCode, 202, ok.body);
    assert.equal(ok.json().ids.length, 1);
    await eventually(() => sink.requests.length === 1, 5000, 'delivered');
    const event = JSON.parse(sink.requests[0]?.body ?? '{}').event;
    assert.deepEqual([event.title, event.status, event.severity, event.source], ['[Triggered] [Memory Alert]', 'firing', 'critical', 'dd']);
    assert.equal(event.labels.role, 'computing-node');

    const refused: [Record<string, string>, RegExp][] = [
      [{ authorization: '' }, /missing authorization header/],
      [{ authorization: 'Bearer datadog-hook-token-0123456780' }, /does not match/],
      [{ authorization: 'Bearer x' }, /does not match/],
      [{ authorization: `Bearer ${TOKEN}${'x'.repeat(400)}` }, /does not match/],
      [{ authorization: basic('datadog', TOKEN) }, /does not match/],
    ];
    for (const [headers, detail] of refused) {
      const res = await post(fixture('template.triggered'), headers);
      assert.equal(res.statusCode, 401, res.body);
      assert.equal(res.json().error, 'invalid_signature');
      assert.match(res.json().detail, detail);
    }
    assert.equal((await stored()).length, 1, 'refused requests stored nothing');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="dd",reason="invalid_signature"\} 5/);
  });

  it('takes basic auth (user:password in the webhook URL) and a token in a custom header; refuses wrong credentials', async (t) => {
    const { post, stored } = await setup(
      t,
      `[{name: dd, type: datadog, username: datadog, password: pa55-w0rd-example}, {name: ddh, type: datadog, token: ${TOKEN}, token_header: X-Herald-Token}]`,
    );
    const body = fixture('captured.triggered');
    assert.equal((await post(body, { authorization: basic('datadog', 'pa55-w0rd-example') })).statusCode, 202);
    const refusedBasic: [Record<string, string>, RegExp][] = [
      [{ authorization: '' }, /missing Basic Authorization header/],
      [{}, /missing Basic Authorization header/],
      [{ authorization: basic('datadog', 'pa55-w0rd-examplE') }, /wrong username or password/],
      [{ authorization: basic('someone', 'pa55-w0rd-example') }, /wrong username or password/],
      [{ authorization: 'Basic !!!' }, /wrong username or password/],
    ];
    for (const [headers, detail] of refusedBasic) {
      const res = await post(body, headers);
      assert.equal(res.statusCode, 401, res.body);
      assert.match(res.json().detail, detail);
    }
    assert.equal((await post(body, { authorization: '', 'x-herald-token': TOKEN }, '/hooks/ddh')).statusCode, 202);
    const wrong = await post(body, { authorization: '', 'x-herald-token': 'nope' }, '/hooks/ddh');
    assert.equal(wrong.statusCode, 401);
    assert.match(wrong.json().detail, /X-Herald-Token does not match/);
    assert.equal((await post(body, {}, '/hooks/ddh')).statusCode, 401, 'the token belongs in X-Herald-Token, not Authorization');
    // The same $ID posted to two sources is two deliveries: ids are scoped by source.
    assert.deepEqual((await stored()).map((e) => e.source).sort(), ['dd', 'ddh']);
  });

  it('stores a retried notification (same $ID) once, and the recovery resolves the trigger on the same key', async (t) => {
    const { sink, post, stored } = await setup(t);
    const triggered = fixture('template.triggered');
    const first = await post(triggered);
    assert.equal(first.statusCode, 202, first.body);
    const again = await post(triggered);
    assert.equal(again.statusCode, 202);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.json().ids, first.json().ids);

    const recovered = { ...JSON.parse(triggered), id: '1234568', title: '[Recovered] [Memory Alert]', alert_transition: 'Recovered', alert_type: 'success' };
    assert.equal((await post(JSON.stringify(recovered))).statusCode, 202);
    const events = await stored();
    assert.equal(events.length, 2, 'the retry was stored once');
    assert.deepEqual(events.map((e) => `${e.key} ${e.status}`).sort(), [
      'datadog:9bd4ac313a4d1e8fae2482df7b77628 firing',
      'datadog:9bd4ac313a4d1e8fae2482df7b77628 resolved',
    ]);
    await eventually(() => sink.requests.length === 2, 5000, 'both delivered');
  });

  it('answers malformed JSON, an unmappable payload and form or text bodies with precise 4xx errors and stores nothing', async (t) => {
    const { post, stored } = await setup(t);
    const cases: [string, Record<string, string>, number, string, RegExp][] = [
      ['{"title": "[Triggered] x",', {}, 400, 'invalid_payload', /not valid JSON/],
      ['', {}, 400, 'invalid_payload', /empty/],
      ['["x"]', {}, 400, 'invalid_payload', /JSON object/],
      ['{"body": "$EVENT_MSG"}', {}, 400, 'invalid_payload', /no "title"/],
      ['title=x', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type', /Encode as form/],
      ['hello', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type', /text\/plain/],
    ];
    for (const [body, headers, status, code, detail] of cases) {
      const res = await post(body, headers);
      assert.equal(res.statusCode, status, `${body.slice(0, 30)}: ${res.body}`);
      assert.equal(res.json().error, code);
      assert.match(res.json().detail, detail);
    }
    // Credentials are checked before the body is read.
    const unauth = await post('{"title": ', { authorization: '' });
    assert.equal(unauth.statusCode, 401);
    assert.equal((await stored()).length, 0);
  });

  it('does not acknowledge a notification while the store is unavailable; Datadog retries it and it is stored once', async (t) => {
    const { h, post, stored } = await setup(t);
    const store = h.herald.storeForTests();
    const original = store.commitIngest;
    store.commitIngest = () => Promise.reject(new StoreUnavailableError('disk on fire'));
    try {
      const res = await post(fixture('captured.triggered'));
      assert.equal(res.statusCode, 503, res.body);
    } finally {
      store.commitIngest = original;
    }
    assert.equal((await stored()).length, 0);
    assert.equal((await post(fixture('captured.triggered'))).statusCode, 202);
    assert.equal((await post(fixture('captured.triggered'))).headers['idempotent-replayed'], 'true');
    assert.equal((await stored()).length, 1);
  });

  it('needs credentials unless allow_unauthenticated is explicit, and says which fields clash', async (t) => {
    const parse = (yaml: string) => {
      try {
        parseConfig(yaml, registry(), {});
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.match(parse('sources: [{name: dd, type: datadog}]'), /sources\[0\]\.token: give token or username \+ password \(or allow_unauthenticated: true\)/);
    assert.match(parse('sources: [{name: dd, type: datadog, username: u}]'), /sources\[0\]\.password: username and password go together/);
    assert.match(parse(`sources: [{name: dd, type: datadog, token: ${TOKEN}, allow_unauthenticated: true}]`), /allow_unauthenticated: credentials are set/);
    assert.match(parse(`sources: [{name: dd, type: datadog, token: ${TOKEN}, username: u, password: p}]`), /token_header: token and basic auth both use/);
    assert.match(parse('sources: [{name: dd, type: datadog, token_header: X-T, allow_unauthenticated: true}]'), /token_header: token_header needs token/);
    assert.match(parse('sources: [{name: dd, type: datadog, token: short}]'), /sources\[0\]\.token/);
    assert.equal(parse(`sources: [{name: dd, type: datadog, token: ${TOKEN}, token_header: X-T, username: u, password: p}]`), '');
    assert.equal(parse('sources: [{name: dd, type: datadog, allow_unauthenticated: true}]'), '');

    const { post } = await setup(t, '[{name: dd, type: datadog, allow_unauthenticated: true}]');
    assert.equal((await post(fixture('captured.triggered'), { authorization: '' })).statusCode, 202);
  });
});
