import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, FakeClock, type Sink, startHerald, startSink, type TestHerald } from './helpers/harness.js';
import { freePort } from './helpers/process.js';

type T = Parameters<typeof startHerald>[0];

const ADMIN = 'admin-token-0123456789';
const READ = 'read-token-0123456789ab';

function yaml(sink: Sink, tokens = true) {
  return `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms]}
${tokens ? `auth:\n  tokens:\n    - {name: ops, token: "${ADMIN}", scopes: [admin]}\n    - {name: viewer, token: "${READ}", scopes: [read]}` : ''}
receivers:
  - {name: hook, type: webhook, url: "${sink.url}/hook"}
  - {name: broken, type: webhook, url: "${sink.url}/broken"}
users:
  - {name: alice, contacts: {email: alice@example.com}}
  - {name: bob, contacts: {email: bob@example.com}}
schedules:
  - name: primary
    time_zone: UTC
    rotation: {members: [alice, bob], length: 1d, handoff: "09:00", start: 2026-02-23}
    overrides:
      - {user: bob, from: "2026-03-03T00:00:00Z", to: "2026-03-04T00:00:00Z"}
routes:
  - name: db
    match: ['severity=critical', 'team=db']
    receivers: [hook]
  - name: ops
    match: ['env=prod']
    policy: {repeat_interval: 10m}
    receivers: [hook]
  - name: rest
    match: ['team=broken']
    receivers: [broken]
`;
}

async function setup(t: T, o: { tokens?: boolean } = {}) {
  const sink = await startSink();
  sink.respond = (req, res) => {
    if (req.url === '/broken') {
      res.statusCode = 404;
      res.end('no such hook');
    } else res.end('ok');
  };
  t.after(() => sink.close());
  const clock = new FakeClock();
  const h = await startHerald(t, yaml(sink, o.tokens ?? true), { clock });
  return { sink, h, clock };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function signIn(h: TestHerald, token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await h.herald.server.inject({
    method: 'POST',
    url: '/console/session',
    payload: { token },
    headers: { origin: 'http://localhost:80', host: 'localhost:80' },
  });
  assert.equal(res.statusCode, 200, res.body);
  const set = String(res.headers['set-cookie']);
  assert.match(set, /HttpOnly/);
  assert.match(set, /SameSite=Strict/);
  assert.ok(!set.includes(token), 'the token itself never goes into the cookie');
  return { cookie: set.split(';')[0] as string, csrf: res.json().csrf };
}

describe('console sessions, CSRF and CSP', () => {
  it('exchanges a token for an HttpOnly SameSite=Strict cookie; a wrong token gets 401 and no cookie', async (t) => {
    const { h } = await setup(t);
    const bad = await h.herald.server.inject({ method: 'POST', url: '/console/session', payload: { token: 'nope-nope-nope-nope' } });
    assert.equal(bad.statusCode, 401);
    assert.equal(bad.headers['set-cookie'], undefined);
    const empty = await h.herald.server.inject({ method: 'POST', url: '/console/session', payload: {} });
    assert.equal(empty.statusCode, 400);
    const { cookie } = await signIn(h, READ);
    const who = await h.herald.server.inject({ method: 'GET', url: '/console/session', headers: { cookie } });
    assert.equal(who.json().principal, 'viewer');
    assert.deepEqual(who.json().scopes, ['read']);
    const list = await h.herald.server.inject({ method: 'GET', url: '/api/v1/events', headers: { cookie } });
    assert.equal(list.statusCode, 200);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).statusCode, 401);
  });

  it('refuses a state change without the CSRF token, with a wrong one, or with a foreign Origin; accepts the right one', async (t) => {
    const { h } = await setup(t);
    const { cookie, csrf } = await signIn(h, ADMIN);
    const silence = { matchers: ['env="prod"'], duration: '1h', author: 'a', comment: 'c' };
    const send = (headers: Record<string, string>) =>
      h.herald.server.inject({ method: 'POST', url: '/api/v1/silences', payload: silence, headers: { cookie, host: 'herald.local:9470', ...headers } });
    const none = await send({});
    assert.equal(none.statusCode, 403);
    assert.equal(none.json().error, 'csrf');
    assert.equal((await send({ 'x-csrf-token': `${csrf.slice(0, -1)}x` })).statusCode, 403);
    const foreign = await send({ 'x-csrf-token': csrf, origin: 'http://evil.example' });
    assert.equal(foreign.statusCode, 403);
    assert.match(foreign.json().detail, /evil\.example/);
    // A foreign Origin is refused even with a valid bearer token: a browser sent it from another site.
    assert.equal(
      (
        await h.herald.server.inject({
          method: 'POST',
          url: '/api/v1/silences',
          payload: silence,
          headers: { ...bearer(ADMIN), origin: 'http://evil.example' },
        })
      ).statusCode,
      403,
    );
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/silences', headers: { cookie } })).json().silences.length, 0, 'nothing stored');
    const ok = await send({ 'x-csrf-token': csrf, origin: 'http://herald.local:9470' });
    assert.equal(ok.statusCode, 201, ok.body);
    // API clients without a cookie or Origin are unaffected.
    assert.equal((await h.herald.server.inject({ method: 'POST', url: '/api/v1/silences', payload: silence, headers: bearer(ADMIN) })).statusCode, 201);
  });

  it('a read session cannot act; sign-out ends the session', async (t) => {
    const { h } = await setup(t);
    const { cookie, csrf } = await signIn(h, READ);
    const res = await h.herald.server.inject({ method: 'POST', url: '/api/v1/deliveries/replay?state=dead', headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json().error, 'forbidden');
    assert.equal(
      (await h.herald.server.inject({ method: 'DELETE', url: '/console/session', headers: { cookie } })).statusCode,
      403,
      'sign-out needs the CSRF token',
    );
    const out = await h.herald.server.inject({ method: 'DELETE', url: '/console/session', headers: { cookie, 'x-csrf-token': csrf } });
    assert.equal(out.statusCode, 200);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events', headers: { cookie } })).statusCode, 401);
  });

  it('a session ends when its token is removed by a reload', async (t) => {
    const { h } = await setup(t);
    const { cookie } = await signIn(h, READ);
    const config = h.herald.currentConfig();
    await h.herald.reload({ ...config, auth: { tokens: config.auth.tokens.filter((x) => x.name !== 'viewer') } });
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events', headers: { cookie } })).statusCode, 401);
  });

  it('serves the console with a strict CSP; with no tokens it opens without sign-in and says so', async (t) => {
    const { h } = await setup(t, { tokens: false });
    const page = await h.herald.server.inject({ method: 'GET', url: '/events?status=firing' });
    assert.equal(page.statusCode, 200);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
    assert.match(page.body, /<script type="module" src="\/assets\/app\.js">/);
    assert.ok(!/<script>/.test(page.body) && !/style=/.test(page.body), 'no inline script or style');
    const js = await h.herald.server.inject({ method: 'GET', url: '/assets/app.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /text\/javascript/);
    const session = await h.herald.server.inject({ method: 'GET', url: '/console/session' });
    assert.equal(session.json().mode, 'open');
    assert.match(String(session.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  });
});

describe('console API', () => {
  it('explains why: each route matched, failed on a named matcher, or was not reached; the incident joined', async (t) => {
    const { h } = await setup(t, { tokens: false });
    const posted = await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'db slow', severity: 'warning', key: 'db:slow', status: 'firing', labels: { team: 'db', env: 'prod' } },
    });
    const id = posted.json().ids[0];
    const why = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${id}/why` })).json();
    assert.deepEqual(
      why.routes.map((r: { id: string; outcome: string }) => [r.id, r.outcome]),
      [
        ['db', 'failed'],
        ['ops', 'matched'],
        ['rest', 'not_reached'],
      ],
    );
    assert.deepEqual(why.routes[0].failed, { matcher: 'severity="critical"', actual: 'warning' });
    await eventually(
      async () => (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${id}/why` })).json().incidents.length === 1,
      5000,
      'incident',
    );
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/events/nope/why' })).statusCode, 404);
  });

  it('searches events by severity, label matchers and text; refuses a bad matcher precisely', async (t) => {
    const { h } = await setup(t, { tokens: false });
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: [
        { title: 'disk full on db-1', severity: 'critical', labels: { host: 'db-1' } },
        { title: 'disk full on web-1', severity: 'warning', labels: { host: 'web-1' } },
        { title: 'deploy done', labels: { host: 'db-1' } },
      ],
    });
    const titles = async (q: string) =>
      (await h.herald.server.inject({ method: 'GET', url: `/api/v1/search/events?${q}` })).json().events.map((e: { title: string }) => e.title);
    assert.deepEqual(await titles('severity=critical'), ['disk full on db-1']);
    assert.deepEqual(await titles(`match=${encodeURIComponent('host=~"db-.*"')}`), ['deploy done', 'disk full on db-1']);
    assert.deepEqual(await titles('q=DISK'), ['disk full on web-1', 'disk full on db-1']);
    assert.deepEqual(await titles(`q=disk&match=${encodeURIComponent('host!=db-1')}`), ['disk full on web-1']);
    const bad = await h.herald.server.inject({ method: 'GET', url: `/api/v1/search/events?match=${encodeURIComponent('host=~"("')}` });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().detail, /^match\[0\]: invalid regex/);
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/search/events?severity=loud' })).statusCode, 400);
  });

  it('pages through a filtered search without skipping or repeating', async (t) => {
    const { h } = await setup(t, { tokens: false });
    const batch = Array.from({ length: 30 }, (_, i) => ({ title: `e${i}`, severity: i % 3 === 0 ? 'critical' : 'info' }));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: batch });
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 10; i++) {
      const r = (
        await h.herald.server.inject({ method: 'GET', url: `/api/v1/search/events?severity=critical&limit=4${cursor ? `&cursor=${cursor}` : ''}` })
      ).json();
      seen.push(...r.events.map((e: { title: string }) => e.title));
      if (!r.next_cursor) break;
      cursor = r.next_cursor;
    }
    assert.deepEqual(seen, ['e27', 'e24', 'e21', 'e18', 'e15', 'e12', 'e9', 'e6', 'e3', 'e0']);
    // Unfiltered (one SQL page per request): the same contract.
    const all: string[] = [];
    cursor = '';
    for (let i = 0; i < 10; i++) {
      const r = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/search/events?limit=7${cursor ? `&cursor=${cursor}` : ''}` })).json();
      all.push(...r.events.map((e: { title: string }) => e.title));
      if (!r.next_cursor) break;
      cursor = r.next_cursor;
    }
    assert.deepEqual(all, batch.map((e) => e.title).reverse());
  });

  it('previews a silence: the firing incidents and the recent events it would mute', async (t) => {
    const { h } = await setup(t, { tokens: false });
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'api down', key: 'api', status: 'firing', labels: { env: 'prod', svc: 'api' } },
    });
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'web down', key: 'web', status: 'firing', labels: { env: 'prod', svc: 'web' } },
    });
    await eventually(
      async () => (await h.herald.server.inject({ method: 'GET', url: '/api/v1/incidents?status=firing' })).json().incidents.length === 2,
      5000,
      'incidents',
    );
    const p = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/silences/preview', payload: { matchers: ['svc="api"'] } })).json();
    assert.deepEqual(
      p.incidents.map((i: { title: string }) => i.title),
      ['api down'],
    );
    assert.deepEqual(
      p.events.map((e: { title: string }) => e.title),
      ['api down'],
    );
    const bad = await h.herald.server.inject({ method: 'POST', url: '/api/v1/silences/preview', payload: { matchers: ['svc=~"["'] } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error, 'invalid_silence');
  });

  it('reports receiver health and sends a test notification through the running receiver', async (t) => {
    const { h, sink } = await setup(t, { tokens: false });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x', labels: { team: 'broken' } } });
    await eventually(
      async () => (await h.herald.server.inject({ method: 'GET', url: '/api/v1/deliveries?state=dead' })).json().deliveries.length === 1,
      5000,
      'dead',
    );
    const list = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/receivers' })).json().receivers;
    const broken = list.find((r: { name: string }) => r.name === 'broken');
    assert.equal(broken.dead, 1);
    assert.equal(broken.recent.success_rate, 0);
    assert.match(broken.last_error.error, /HTTP 404/);
    const before = sink.requests.length;
    const ok = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/receivers/hook/test' })).json();
    assert.equal(ok.ok, true);
    assert.equal(ok.response.status, 200);
    assert.equal(sink.requests.length, before + 1);
    assert.equal(JSON.parse(sink.requests.at(-1)?.body ?? '{}').event.title, 'Herald test notification');
    const failed = (await h.herald.server.inject({ method: 'POST', url: '/api/v1/receivers/broken/test' })).json();
    assert.equal(failed.ok, false);
    assert.equal(failed.reason, 'client');
    assert.equal(failed.response.body, 'no such hook');
    assert.equal((await h.herald.server.inject({ method: 'POST', url: '/api/v1/receivers/nope/test' })).statusCode, 404);
  });

  it('lists who is on call now and next, with overrides, over the coming weeks', async (t) => {
    const { h } = await setup(t, { tokens: false });
    // FakeClock: 2026-03-01T12:00Z; the rotation started 2026-02-23 09:00 with alice, daily.
    const r = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/oncall?days=7' })).json();
    const s = r.schedules[0];
    assert.equal(s.name, 'primary');
    assert.equal(s.now.user, 'alice');
    assert.equal(s.next.user, 'bob');
    assert.equal(s.next.from, '2026-03-02T09:00:00.000Z');
    const override = s.shifts.find((x: { override: boolean }) => x.override);
    assert.deepEqual(override, { user: 'bob', from: '2026-03-03T00:00:00.000Z', to: '2026-03-04T00:00:00.000Z', override: true });
    assert.ok(s.shifts.every((x: { from: string }) => Date.parse(x.from) < Date.parse('2026-03-08T12:00:00Z')));
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/api/v1/oncall?days=0' })).statusCode, 400);
  });

  it('lists routes readably and dry-runs a sender payload through a source', async (t) => {
    const { h } = await setup(t, { tokens: false });
    const routes = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/routes' })).json().routes;
    assert.deepEqual(routes[0], { index: 0, id: 'db', match: ['severity="critical"', 'team="db"'], receivers: ['hook'], continue: false, policy: null });
    const alerts = [
      { labels: { alertname: 'DBDown', severity: 'critical', team: 'db' }, annotations: { summary: 'db down' }, startsAt: '2026-03-01T11:00:00Z' },
    ];
    const r = await h.herald.server.inject({ method: 'POST', url: '/api/v1/routes/test-payload', payload: { source: 'prometheus', payload: alerts } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().results[0].matched_routes, [0]);
    assert.equal(r.json().results[0].receivers[0].receiver, 'hook');
    assert.equal(
      (await h.herald.server.inject({ method: 'POST', url: '/api/v1/routes/test-payload', payload: { source: 'nope', payload: {} } })).statusCode,
      404,
    );
  });

  it('streams committed events over SSE, filtered', async (t) => {
    const { h } = await setup(t, { tokens: false });
    await h.herald.server.listen({ host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    t.after(() => ac.abort());
    const res = await fetch(`${h.herald.address()}/api/v1/stream?severity=critical`, { signal: ac.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: [{ title: 'quiet' }, { title: 'loud', severity: 'critical' }] });
    let text = '';
    while (!text.includes('event: events')) text += new TextDecoder().decode((await reader.read()).value);
    const data = JSON.parse(/data: (.*)\n/.exec(text)?.[1] ?? '[]');
    assert.deepEqual(
      data.map((e: { title: string }) => e.title),
      ['loud'],
    );
    ac.abort();
  });

  it('reports each source: SMTP listening, a stream disconnected since when and why, HTTP receiving; with counters', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const [smtpPort, closedPort] = [await freePort(), await freePort()];
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
receivers: [{name: out, type: log}]
routes: [{receivers: [out]}]
sources:
  - {name: mail, type: smtp, listen: "127.0.0.1:${smtpPort}", domains: [herald.test]}
  - {name: stream, type: websocket, url: "ws://127.0.0.1:${closedPort}/events", reconnect: {initial: 50ms, max: 100ms}}
  - {name: gh, type: generic, token: "a-shared-token-0123456789"}
`,
    );
    await eventually(
      async () => {
        const list = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/sources' })).json().sources;
        return list.find((x: { name: string }) => x.name === 'stream')?.detail?.includes('ECONNREFUSED') ?? false;
      },
      5000,
      'the stream to fail to connect',
    );
    const list = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/sources' })).json().sources as {
      name: string;
      state: string;
      detail: string;
      since: string | null;
    }[];
    const by = Object.fromEntries(list.map((x) => [x.name, x]));
    assert.equal(by.mail?.state, 'listening');
    assert.equal(by.mail?.detail, `127.0.0.1:${smtpPort}`);
    assert.ok(by.mail?.since);
    assert.equal(by.stream?.state, 'disconnected');
    assert.match(by.stream?.detail ?? '', new RegExp(`^ws://127\\.0\\.0\\.1:${closedPort}: `));
    assert.ok(by.stream?.since);
    assert.deepEqual([by.gh?.state, by.gh?.detail], ['receiving', 'POST /hooks/gh']);
  });
});
