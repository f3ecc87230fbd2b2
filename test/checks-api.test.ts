import assert from 'node:assert/strict';
import { it } from 'node:test';
import { eventually, startHerald, startSink } from './helpers/harness.js';

it('GET /api/v1/checks lists health checks; /api/v1/checks/:name gives state and history', async (t) => {
  const target = await startSink();
  t.after(() => target.close());
  target.respond = (_req, res) => {
    res.writeHead(503).end('down');
  };
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
sources:
  - {name: web, type: http-check, url: "${target.url}/healthz", interval: 1h, failures_before_alert: 1}
  - {name: hook, type: generic, token: check-api-token-0123456789}
receivers: [{name: c, type: log}]
routes: [{receivers: [c]}]
`,
  );
  const get = (url: string) => h.herald.server.inject({ method: 'GET', url });
  await eventually(async () => (await get('/api/v1/checks/web')).json().state === 'failing', 5000, 'the first run failed');
  const one = (await get('/api/v1/checks/web')).json();
  assert.equal(one.type, 'http-check');
  assert.equal(one.consecutive_failures, 1);
  assert.equal(one.history.length, 1);
  assert.match(one.last_result.message, /503/);
  const list = (await get('/api/v1/checks')).json().checks;
  assert.deepEqual(
    list.map((c: { name: string; state: string }) => [c.name, c.state]),
    [['web', 'failing']],
  );
  assert.equal(list[0].history, undefined, 'the list leaves the history out');
  const missing = await get('/api/v1/checks/hook');
  assert.equal(missing.statusCode, 404);
  assert.match(missing.json().detail, /no health check named "hook"/);
  const events = (await get('/api/v1/events?key=check:web')).json().events;
  assert.equal(events.length, 1);
  assert.equal(events[0].status, 'firing');
});
