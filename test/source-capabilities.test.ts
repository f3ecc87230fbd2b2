import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineSource, type ListenerSourceInstance, SourceRejection, Type } from '@herald/sdk';
import type { InjectOptions } from 'fastify';
import { Herald } from '../src/app/herald.js';
import { parseConfig } from '../src/config/load.js';
import { createLogger } from '../src/lib/logger.js';
import { builtinRegistry } from '../src/plugins/builtins.js';
import { memoryLog, tempDir } from './helpers/harness.js';

/** A plugin health check: Herald knows it only by its declared capability. */
const probe = defineSource({
  type: 'probe-check',
  version: '1.0.0',
  displayName: 'Probe (test plugin)',
  config: Type.Object({}, { additionalProperties: false }),
  capabilities: { check: true },
  create(_config, ctx) {
    const instance: ListenerSourceInstance = {
      kind: 'listener',
      async start() {},
      async stop() {},
      inspect: () => ({ name: ctx.name, type: 'probe-check', state: 'ok', history: [{ ok: true }, { ok: true }] }),
    };
    return instance;
  },
});

/** A plugin source type with a fixed API endpoint of its own, like Alertmanager's /api/v2/alerts. */
const beacon = defineSource({
  type: 'beacon',
  version: '1.0.0',
  displayName: 'Beacon (test plugin)',
  config: Type.Object({}, { additionalProperties: false }),
  capabilities: {
    endpoints: [
      {
        path: '/api/v1/beacons',
        source: 'beacon',
        describes: 'a beacon list',
        invalidCode: 'invalid_beacons',
        expects: 'send a JSON list of beacon names',
        map(body, now) {
          if (!Array.isArray(body)) throw new SourceRejection(400, 'invalid_beacons', 'a beacon list is a JSON array');
          return body.map((name) => ({ title: `beacon ${String(name)}`, key: `beacon:${String(name)}`, occurred_at: new Date(now).toISOString() }));
        },
      },
    ],
  },
  create: () => ({ kind: 'http', handle: () => [] }),
});

/** A type that says it is a check but whose instance cannot be inspected: a broken plugin. */
const notInspectable = defineSource({
  type: 'mute-check',
  version: '1.0.0',
  displayName: 'Mute check (test plugin)',
  config: Type.Object({}, { additionalProperties: false }),
  capabilities: { check: true },
  create: () => ({ kind: 'listener', async start() {}, async stop() {} }),
});

async function start(t: { after(fn: () => unknown): void }, yaml: string) {
  const registry = builtinRegistry();
  for (const d of [probe, beacon, notInspectable]) registry.sources.register(d, 'herald-plugin-test');
  const dir = tempDir(t);
  const config = parseConfig(`${yaml}\nstorage: {url: "sqlite:${dir}/herald.db"}\n`, registry, {});
  const log = createLogger({ level: 'warn', format: 'json', destination: memoryLog().destination, secrets: () => config.secrets });
  return Herald.start({ config, registry, log, listen: false });
}

describe('source capabilities declared by a plugin source type', () => {
  it('lists a declared check under /api/v1/checks and answers a declared endpoint, with no change to Herald', async (t) => {
    const h = await start(
      t,
      `sources: [{name: edge, type: probe-check}, {name: hook, type: generic, token: capability-test-token-0123}]
receivers: [{name: c, type: log}]
routes: [{receivers: [c]}]`,
    );
    t.after(() => h.stop());
    const inject = (o: InjectOptions) => h.server.inject(o);

    const list = (await inject({ method: 'GET', url: '/api/v1/checks' })).json().checks;
    assert.deepEqual(list, [{ name: 'edge', type: 'probe-check', state: 'ok' }], 'listed without its history; the generic source is no check');
    assert.equal((await inject({ method: 'GET', url: '/api/v1/checks/edge' })).json().history.length, 2);

    const ok = await inject({ method: 'POST', url: '/api/v1/beacons', payload: ['north', 'south'] });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().ids.length, 2);
    const stored = (await inject({ method: 'GET', url: '/api/v1/events?source=beacon' })).json().events;
    assert.deepEqual(stored.map((e: { title: string; source_type: string }) => [e.title, e.source_type]).sort(), [
      ['beacon north', 'beacon'],
      ['beacon south', 'beacon'],
    ]);

    const bad = await inject({ method: 'POST', url: '/api/v1/beacons', payload: { not: 'a list' } });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual([bad.json().error, bad.json().detail], ['invalid_beacons', 'a beacon list is a JSON array']);
    const none = await inject({ method: 'POST', url: '/api/v1/beacons' });
    assert.equal(none.statusCode, 415);
    assert.deepEqual([none.json().error, none.json().detail], ['invalid_beacons', 'send a JSON list of beacon names']);
    const metrics = (await inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /herald_source_rejected_total\{source="beacon",reason="invalid_beacons"\} 1/);

    // The console's payload dry run maps an endpoint's body by its source name, and names it when asked.
    const preview = await inject({ method: 'POST', url: '/api/v1/routes/test-payload', payload: { source: 'beacon', payload: ['east'] } });
    assert.equal(preview.statusCode, 200, preview.body);
    assert.equal(preview.json().results[0].event.title, 'beacon east');
    const unnamed = await inject({ method: 'POST', url: '/api/v1/routes/test-payload', payload: { payload: [] } });
    assert.equal(
      unnamed.json().detail,
      'source: name a configured HTTP source (or "prometheus" for an Alertmanager alert list, or "beacon" for a beacon list)',
    );
  });

  it('refuses to start a source whose type declares check but whose instance has no inspect()', async (t) => {
    const started = start(
      t,
      `sources: [{name: quiet, type: mute-check}]
receivers: [{name: c, type: log}]
routes: [{receivers: [c]}]`,
    );
    // Stopped again if it wrongly starts, so the failure is the assertion, not a hung test.
    await assert.rejects(
      started.then(async (h) => {
        await h.stop();
        return h;
      }),
      /source "quiet" \(mute-check\): the type declares capabilities.check, but its instance is not a listener with inspect\(\)/,
    );
  });
});
