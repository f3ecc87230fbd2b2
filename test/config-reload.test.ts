import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseConfig } from '../src/config/load.js';
import { deliveries, eventually, FakeClock, registry, startHerald, startSink, tempDir } from './helpers/harness.js';
import { runHerald } from './helpers/process.js';

async function occupiedPort(t: { after(fn: () => unknown): void }): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

describe('reload and delivery.*', () => {
  it('applies a changed retry schedule, timeout and poll interval at once', async (t) => {
    const clock = new FakeClock();
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      res.statusCode = 503;
      res.end('down');
    };
    const yaml = (delivery: string) => `
outbound: {allow: ["127.0.0.0/8"]}
delivery: ${delivery}
receivers: [{name: hook, type: webhook, url: "${sink.url}/hook"}]
routes: [{receivers: [hook]}]
`;
    // random 0.5: no jitter, so run_at is exactly now + the scheduled delay.
    const h = await startHerald(t, yaml('{poll_interval: 20ms, retry_schedule: [1h, 1h]}'), { clock, random: () => 0.5 });
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.attempts === 1, 5000, 'first attempt failed');
    assert.equal(Date.parse((await deliveries(h))[0]?.run_at ?? '') - clock.now(), 3_600_000);

    await h.herald.reload(
      parseConfig(`${yaml('{poll_interval: 30ms, retry_schedule: [2s, 2s], timeout: 3s}')}\nstorage: {url: "sqlite:${h.dbPath}"}\n`, registry(), {}),
    );
    assert.deepEqual(h.herald.currentConfig().delivery.retryScheduleMs, [2000, 2000]);
    assert.ok(h.logLines.some((l) => /configuration reloaded/.test(l) && /delivery\.retry_schedule.*delivery\.timeout.*delivery\.poll_interval/.test(l)));

    // The retry already scheduled stays where it was; the next failure uses the new schedule.
    clock.advance(3_600_000);
    await eventually(async () => (await deliveries(h))[0]?.attempts === 2, 5000, 'second attempt failed');
    assert.equal(Date.parse((await deliveries(h))[0]?.run_at ?? '') - clock.now(), 2000, 'retry scheduled with the reloaded delivery.retry_schedule');
  });

  it('refuses a reload that changes settings which need a restart, naming every one, and keeps the old values', async (t) => {
    const h = await startHerald(t, 'receivers: [{name: console, type: log}]\nroutes: [{receivers: [console]}]\n');
    const next = parseConfig(
      `server: {body_limit: 2MiB}\nlog: {level: debug}\nreceivers: [{name: console, type: log}]\nroutes: [{receivers: [console]}]\nstorage: {url: "sqlite:${h.dbPath}"}\n`,
      registry(),
      {},
    );
    await assert.rejects(h.herald.reload(next), {
      message:
        'server.body_limit, log.level changed; restart Herald to apply them (server.body_limit: 1048576 bytes → 2097152 bytes; log.level: info → debug). Nothing was reloaded',
    });
    assert.equal(h.herald.currentConfig().server.bodyLimit, 1024 * 1024);
    const api = await h.herald.server.inject({ method: 'POST', url: '/api/v1/reload' });
    assert.equal(api.statusCode, 400, 'started without a file: refused, not "reloaded"');
  });
});

describe('listen errors name the address and the config key', () => {
  it('server.listen', async (t) => {
    const port = await occupiedPort(t);
    await assert.rejects(startHerald(t, `server: {listen: "127.0.0.1:${port}"}\n`, { listen: true }), {
      message: `server.listen: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE): another program, or another Herald, listens there; stop it or choose another port`,
    });
  });

  it("an SMTP source's listen", async (t) => {
    const port = await occupiedPort(t);
    await assert.rejects(startHerald(t, `sources: [{name: mail, type: smtp, listen: "127.0.0.1:${port}", domains: [example.com]}]\n`), {
      message: `source "mail" (smtp) failed to start: listen: cannot listen on 127.0.0.1:${port}: address already in use (EADDRINUSE): another program, or another Herald, listens there; stop it or choose another port`,
    });
  });
});

describe('herald check-config', () => {
  const run = async (yaml: string, t: { after(fn: () => void): void }) => {
    const file = join(tempDir(t), 'herald.yaml');
    writeFileSync(file, yaml);
    const p = runHerald(['check-config', '-c', file]);
    const code = await p.exited;
    return { code, output: p.output() };
  };

  it('reports schema and reference errors in one run', async (t) => {
    const r = await run('log: {level: loud}\nreceivers: [{name: a, type: log}]\nroutes: [{match: [\'severity=="critical"\'], receivers: [ghost]}]\n', t);
    assert.equal(r.code, 2, r.output);
    assert.match(r.output, /log\.level: must be one of/);
    assert.match(r.output, /routes\[0\]\.match\[0\]: "==" is not a matcher operator; use "="/);
    assert.match(r.output, /routes\[0\]\.receivers\[0\]: no receiver named "ghost" \(configured: a\)/);
  });

  it('warns that an empty config routes nothing', async (t) => {
    const r = await run('# nothing yet\n', t);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /ok — 0 receiver\(s\), 0 route\(s\)/);
    assert.match(r.output, /warning: no receivers and no routes: events are accepted and stored, but nothing is delivered/);
  });
});
