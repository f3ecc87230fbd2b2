import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { eventually, startHerald, startSink } from '../../../test/helpers/harness.js';
import { labelFingerprint, normalizeAlertmanager, normalizePrometheusAlerts } from './normalize.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8');
const TOKEN = 'am-token-0123456789abcdef';

/** FNV-1a 64 the slow, obvious way (BigInt over the UTF-8 bytes): the oracle for the fast one. */
function referenceFingerprint(labels: Record<string, string>): string {
  let h = 14695981039346656037n;
  for (const bytes of Object.keys(labels)
    .sort()
    .flatMap((k) => [Buffer.from(k), Buffer.from([0xff]), Buffer.from(labels[k] as string), Buffer.from([0xff])]))
    for (const b of bytes) h = ((h ^ BigInt(b)) * 1099511628211n) & ((1n << 64n) - 1n);
  return h.toString(16).padStart(16, '0');
}

describe('alertmanager source and the Prometheus alerts API', () => {
  it('the fingerprint equals FNV-1a 64 over the labels for every label set, non-ASCII too', () => {
    const alphabet = ['a', 'Z', '_', '0', '9', ' ', '/', 'é', 'ß', '日', '本', '😀', '\u00ff', '\u0080'];
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const word = () => Array.from({ length: rand(24) }, () => alphabet[rand(alphabet.length)]).join('');
    for (let i = 0; i < 2000; i++) {
      const labels: Record<string, string> = {};
      for (let j = rand(8); j >= 0; j--) labels[`l${word()}`] = word();
      assert.equal(labelFingerprint(labels), referenceFingerprint(labels), JSON.stringify(labels));
    }
    assert.equal(labelFingerprint({}), 'cbf29ce484222325');
  });

  it("keys alerts by Alertmanager's own fingerprint of their labels", () => {
    const body = JSON.parse(fixture('webhook.resolved'));
    assert.equal(labelFingerprint(body.alerts[0].labels), body.alerts[0].fingerprint);
    const [e] = normalizeAlertmanager(body);
    assert.equal(e?.key, 'alert:fbab788ec4c1018b');
    assert.equal(e?.status, 'resolved');
    assert.equal(e?.title, 'Kubernetes Deployment Replicas Mismatch');
    assert.equal(e?.severity, 'warning');
    assert.match(e?.url ?? '', /^http:\/\/alertmanager\.example:9093\/metrics\/viewer\/graph\?g0\.expr=/, 'relative generatorURL made absolute');
    const firing = normalizeAlertmanager(JSON.parse(fixture('webhook.firing')));
    assert.deepEqual(
      firing.map((f) => [f.title, f.status, f.severity, f.labels?.instance]),
      [
        ['Instance db-1:9100 down', 'firing', 'critical', 'db-1:9100'],
        ['Instance db-2:9100 down', 'firing', 'critical', 'db-2:9100'],
      ],
    );
    assert.throws(() => normalizeAlertmanager({ alerts: [{ status: 'firing', labels: {} }] }), /alerts\[0\]\.labels must be a non-empty object/);
  });

  it('Prometheus alerts: firing while endsAt is in the future, resolved after, same key as via Alertmanager', () => {
    const now = Date.parse('2026-11-30T10:00:00Z');
    const labels = { alertname: 'InstanceDown', instance: 'db-1:9100', job: 'node', severity: 'critical' };
    const [open] = normalizePrometheusAlerts([{ labels, annotations: { summary: 's' }, endsAt: '2026-11-30T10:04:00Z' }], now);
    const [noEnd] = normalizePrometheusAlerts([{ labels }], now);
    const [ended] = normalizePrometheusAlerts([{ labels, endsAt: '2026-11-30T09:59:00Z' }], now);
    assert.deepEqual([open?.status, noEnd?.status, ended?.status], ['firing', 'firing', 'resolved']);
    const [viaAm] = normalizeAlertmanager(JSON.parse(fixture('webhook.firing')));
    assert.equal(open?.key, viaAm?.key);
    assert.equal(ended?.key, viaAm?.key);
    assert.throws(() => normalizePrometheusAlerts({ alerts: [] }, now), /JSON list of alerts/);
  });

  it('end to end: webhook and /api/v2/alerts produce firing then resolved events with the same key; bad auth and bodies store nothing', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources: [{name: am, type: alertmanager, token: ${TOKEN}}]
receivers: [{name: out, type: webhook, url: "${sink.url}/hook"}]
routes: [{receivers: [out]}]
`,
    );
    const inject = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
      h.herald.server.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } });
    const auth = { authorization: `Bearer ${TOKEN}` };

    const firing = JSON.parse(fixture('webhook.firing'));
    assert.equal((await inject('/hooks/am', firing, auth)).statusCode, 202);
    const resolved = structuredClone(firing);
    resolved.status = 'resolved';
    for (const a of resolved.alerts) a.status = 'resolved';
    assert.equal((await inject('/hooks/am', resolved, auth)).statusCode, 202);

    const labels = { alertname: 'HighLatency', service: 'api' };
    const future = new Date(Date.now() + 300_000).toISOString();
    const past = new Date(Date.now() - 1000).toISOString();
    const p1 = await inject('/api/v2/alerts', [{ labels, annotations: { summary: 'p99 > 1s' }, startsAt: new Date().toISOString(), endsAt: future }]);
    assert.equal(p1.statusCode, 200, p1.body);
    assert.equal((await inject('/api/v2/alerts', [{ labels, annotations: { summary: 'p99 > 1s' }, endsAt: past }])).statusCode, 200);

    await eventually(() => sink.requests.length === 6, 5000, 'all six delivered');
    const events = sink.requests.map((r) => JSON.parse(r.body).event);
    const byKey = new Map<string, string[]>();
    for (const e of events) byKey.set(e.key, [...(byKey.get(e.key) ?? []), `${e.source}:${e.status}`]);
    assert.equal(byKey.size, 3);
    for (const states of byKey.values()) assert.deepEqual(states.map((s) => s.split(':')[1]).sort(), ['firing', 'resolved']);
    assert.deepEqual(byKey.get(`alert:${labelFingerprint(labels)}`)?.sort(), ['prometheus:firing', 'prometheus:resolved']);

    const refused: [string, unknown, Record<string, string>, number, RegExp][] = [
      ['/hooks/am', firing, {}, 401, /missing authorization/],
      ['/hooks/am', firing, { authorization: 'Bearer wrong-token-0000000000' }, 401, /does not match/],
      ['/hooks/am', { alerts: 'nope' }, auth, 400, /"alerts" must be a list/],
      ['/api/v2/alerts', { labels }, {}, 400, /JSON list of alerts/],
      ['/api/v2/alerts', [{ annotations: {} }], {}, 400, /\[0\]\.labels must be a non-empty object/],
    ];
    for (const [url, body, headers, status, detail] of refused) {
      const res = await inject(url, body, headers);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      assert.match(res.json().detail, detail);
    }
    const stored = (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    assert.equal(stored.length, 6, 'refusals stored nothing');
  });
});
