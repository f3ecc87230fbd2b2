import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventually, startHerald, startSink } from './helpers/harness.js';

const TOKEN = 'enrich-token-0123456789';

async function setup(t: Parameters<typeof startHerald>[0], allow: boolean) {
  const api = await startSink();
  t.after(() => api.close());
  api.respond = (req, res) => {
    if (req.url === '/api/v1/service/42/')
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'web', state: 'Running', containers: 3 }));
    else res.writeHead(404).end('not found');
  };
  const out = await startSink();
  t.after(() => out.close());
  const h = await startHerald(
    t,
    `${allow ? 'outbound: {allow: ["127.0.0.0/8"]}' : ''}
delivery: {poll_interval: 20ms}
sources:
  - name: stream
    type: generic
    token: ${TOKEN}
    enrich:
      - name: resource
        url: "{{ event.data.resource_uri }}"
        headers: {Authorization: "ApiKey enrich-secret-value"}
        timeout: 1s
        cache_ttl: 60s
receivers: [{name: out, type: webhook, url: "${out.url}/hook"}]
routes: [{receivers: [out]}]
`,
  );
  const post = (events: unknown) =>
    h.herald.server.inject({
      method: 'POST',
      url: '/hooks/stream',
      payload: JSON.stringify(events),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    });
  return { api, out, h, post };
}

describe('enrichment', () => {
  it('attaches the fetched resource under data.enriched, with the configured headers, cached by URL', async (t) => {
    const { api, out, h, post } = await setup(t, true);
    const uri = `${api.url}/api/v1/service/42/`;
    const res = await post([
      { title: 'service web redeployed', data: { resource_uri: uri } },
      { title: 'service web scaled', data: { resource_uri: uri } },
      { title: 'no resource' },
    ]);
    assert.equal(res.statusCode, 202);
    await eventually(() => out.requests.length === 3, 5000, 'delivered');
    const byTitle = new Map(out.requests.map((r) => [JSON.parse(r.body).event.title, JSON.parse(r.body).event]));
    assert.deepEqual(byTitle.get('service web redeployed').data.enriched.resource, { name: 'web', state: 'Running', containers: 3 });
    assert.deepEqual(byTitle.get('service web scaled').data.enriched.resource, { name: 'web', state: 'Running', containers: 3 });
    assert.equal(byTitle.get('no resource').data?.enriched, undefined, 'an empty URL skips the step');
    assert.equal(api.requests.length, 1, 'the second lookup came from the cache');
    assert.equal(api.requests[0]?.headers.authorization, 'ApiKey enrich-secret-value');
    const metrics = (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_enrichment_total\{source="stream",step="resource",outcome="ok"\} 1/);
    assert.match(metrics, /herald_enrichment_total\{source="stream",step="resource",outcome="cached"\} 1/);
    assert.ok(!h.logLines.join('\n').includes('enrich-secret-value'), 'the header secret is not logged');
  });

  it('with the API down, a 404, or an address the SSRF guard refuses, the event is still delivered and the failure recorded', async (t) => {
    const { api, out, post } = await setup(t, true);
    const downUrl = `${api.url}/api/v1/service/42/`;
    await api.close();
    assert.equal((await post({ title: 'api down', data: { resource_uri: downUrl } })).statusCode, 202);
    await eventually(() => out.requests.length === 1, 5000, 'delivered while the API is down');
    const event = JSON.parse(out.requests[0]?.body ?? '{}').event;
    assert.equal(event.data.resource_uri, downUrl);
    assert.equal(event.data.enriched, undefined);
    assert.match(event.data.enrichment_errors.resource, /ECONNREFUSED|connect|refused/i);
  });

  it('refuses a loopback target unless allow-listed: nothing reaches the API, the event is delivered', async (t) => {
    const { api, out, h, post } = await setup(t, false);
    // Without an allow-list the webhook receiver cannot reach the loopback sink either, so look at the stored event.
    const res = await post({ title: 'guarded', data: { resource_uri: `${api.url}/api/v1/service/42/` } });
    assert.equal(res.statusCode, 202);
    const stored = (await h.herald.server.inject({ method: 'GET', url: `/api/v1/events/${res.json().ids[0]}` })).json();
    assert.match(stored.event.data.enrichment_errors.resource, /refused|not allowed|loopback|private/i);
    assert.equal(api.requests.length, 0);
    assert.equal(api.connections, 0, 'no connection reached the API');
    assert.equal(out.connections, 0);
  });
});
