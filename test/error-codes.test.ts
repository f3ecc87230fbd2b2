import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { CATALOGUE } from '../src/errors/catalogue.js';
import { StoreUnavailableError } from '../src/store/types.js';
import { eventually, startHerald, type TestHerald } from './helpers/harness.js';

const CONFIG = `
sources:
  - {name: gh, type: github, secret: github-hook-secret-123}
  - {name: mail, type: smtp, listen: "127.0.0.1:0", domains: [herald.test]}
receivers: [{name: console, type: log}]
routes: [{receivers: [console]}]
`;

/** Asserts the answer is the catalogue's shape, `{error, code, detail[, issues]}`, with a status the code's entry lists. */
function assertRefusal(res: { statusCode: number; json(): unknown; body: string }, status: number, error: string, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as Record<string, unknown>;
  assert.equal(body.error, error, res.body);
  assert.equal(body.code, code, res.body);
  assert.equal(typeof body.detail, 'string');
  assert.deepEqual(
    Object.keys(body).filter((k) => k !== 'issues'),
    ['error', 'code', 'detail'],
  );
  const entry = CATALOGUE.find((e) => e.code === code);
  assert.ok(entry, `${code} is in the catalogue`);
  const statuses = entry.http?.status ?? (entry.rejection?.status === undefined ? [] : [entry.rejection.status]);
  assert.ok(statuses.includes(status), `${code} is documented with status ${status} (has ${statuses.join(', ')})`);
  return body;
}

describe('every API refusal carries its catalogue code beside the error slug', () => {
  it('API refusals: bad JSON, an invalid event with issues, an unknown route, a missing HTTP source', async (t) => {
    const h = await startHerald(t, CONFIG);
    const post = (url: string, payload: string) => h.herald.server.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });
    assertRefusal(await post('/api/v1/events', '{"title": '), 400, 'invalid_json', 'HERALD_ERR_API_INVALID_JSON');
    const invalid = assertRefusal(await post('/api/v1/events', '{"title": 5}'), 400, 'invalid_event', 'HERALD_ERR_API_INVALID_EVENT');
    assert.deepEqual(invalid.issues, [{ path: 'title', message: 'must be a string' }]);
    assertRefusal(await h.herald.server.inject({ method: 'GET', url: '/api/v1/nope' }), 404, 'not_found', 'HERALD_ERR_API_NOT_FOUND');
    // No such source is the API's not_found, not a source's refusal.
    assertRefusal(await post('/hooks/nosuch', '{}'), 404, 'not_found', 'HERALD_ERR_API_NOT_FOUND');
  });

  it('a source’s refusal at /hooks/<name> carries the SOURCE code of its slug', async (t) => {
    const h = await startHerald(t, CONFIG);
    const res = await h.herald.server.inject({
      method: 'POST',
      url: '/hooks/gh',
      payload: '{}',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': 'sha256=00' },
    });
    assertRefusal(res, 401, 'invalid_signature', 'HERALD_ERR_SOURCE_INVALID_SIGNATURE');
    assert.match(
      await (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body,
      /herald_source_rejected_total\{source="gh",reason="invalid_signature"\} 1/,
    );
  });

  it('an unauthenticated request (the auth hook) and an unavailable store', async (t) => {
    const h = await startHerald(t, `${CONFIG}auth: {tokens: [{name: i, token: ingest-token-0123456789, scopes: [ingest]}]}\n`);
    const payload = { title: 'x' };
    const denied = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload });
    assertRefusal(denied, 401, 'unauthorized', 'HERALD_ERR_API_UNAUTHORIZED');
    const store = h.herald.storeForTests();
    const original = store.commitIngest.bind(store);
    store.commitIngest = async () => {
      throw new StoreUnavailableError('disk gone');
    };
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload, headers: { authorization: 'Bearer ingest-token-0123456789' } });
    store.commitIngest = original;
    assertRefusal(res, 503, 'store_unavailable', 'HERALD_ERR_STORE_UNAVAILABLE');
  });
});

/** The port the smtp source bound, from its "smtp listening" log line. */
function smtpPort(h: TestHerald): number {
  for (const line of h.logLines) {
    const entry = JSON.parse(line) as { msg?: string; port?: number };
    if (entry.msg === 'smtp listening' && typeof entry.port === 'number') return entry.port;
  }
  throw new Error('no "smtp listening" line');
}

describe('a listener source’s refusal is logged with its code', () => {
  it('an SMTP recipient outside the domains: relay_denied → HERALD_ERR_SOURCE_RELAY_DENIED', async (t) => {
    const h = await startHerald(t, CONFIG);
    const socket = connect(smtpPort(h), '127.0.0.1');
    t.after(() => socket.destroy());
    socket.setEncoding('utf8');
    let received = '';
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    await once(socket, 'connect');
    // One command at a time, each once the previous reply has arrived (a pipelining client would need PIPELINING).
    const replies = (n: number) => eventually(() => (received.match(/^\d{3} /gm) ?? []).length >= n, 5000, `${n} SMTP replies`);
    await replies(1);
    for (const [i, cmd] of ['EHLO test.example', 'MAIL FROM:<a@test.example>', 'RCPT TO:<someone@example.com>'].entries()) {
      socket.write(`${cmd}\r\n`);
      await replies(i + 2);
    }
    assert.match(received, /550 5\.7\.1 relay not permitted/);
    const refused = h.logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'input refused');
    assert.ok(refused, 'the refusal is logged');
    assert.equal(refused.reason, 'relay_denied');
    assert.equal(refused.code, 'HERALD_ERR_SOURCE_RELAY_DENIED');
  });
});
