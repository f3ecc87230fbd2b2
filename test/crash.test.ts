import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { eventually, startSink, tempDir } from './helpers/harness.js';
import { freePort, runHerald, stopProcess, waitForHttp } from './helpers/process.js';

const CONCURRENCY = 8;

it('SIGKILL mid-delivery loses nothing; duplicates are only in-flight attempts and keep their webhook-id', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const sink = await startSink();
  t.after(() => sink.close());
  sink.respond = (_req, res) => {
    setTimeout(() => res.end('ok'), 5);
  };
  const port = await freePort();
  const cfg = join(dir, 'herald.yaml');
  writeFileSync(
    cfg,
    `server: {listen: "127.0.0.1:${port}"}
storage: {url: "sqlite:${join(dir, 'herald.db')}"}
log: {level: warn, format: json}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 50ms}
receivers:
  - {name: sink, type: webhook, concurrency: ${CONCURRENCY}, url: "${sink.url}/in", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
routes: [{receivers: [sink]}]
`,
  );
  const base = `http://127.0.0.1:${port}`;
  let proc = runHerald(['serve', '-c', cfg]);
  t.after(() => stopProcess(proc, 'SIGKILL'));
  await waitForHttp(`${base}/healthz`);

  const accepted: string[] = [];
  for (let b = 0; b < 20; b++) {
    const res = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ title: `event ${b * 100 + i}` }))),
    });
    assert.equal(res.status, 202);
    accepted.push(...((await res.json()) as { ids: string[] }).ids);
  }
  assert.equal(accepted.length, 2000);
  await eventually(() => sink.requests.length >= 400, 30_000, '400 deliveries before the kill');
  proc.child.kill('SIGKILL');
  await proc.exited;
  const atKill = sink.requests.length;
  assert.ok(atKill < 2000, `killed mid-delivery (${atKill} delivered)`);

  proc = runHerald(['serve', '-c', cfg]);
  await waitForHttp(`${base}/healthz`);
  const delivered = () => new Set(sink.requests.map((r) => JSON.parse(r.body).event.id as string));
  await eventually(() => delivered().size === 2000, 60_000, 'all 2000 events delivered after restart');
  assert.deepEqual([...delivered()].sort(), [...accepted].sort(), 'exactly the accepted events');

  const byEvent = new Map<string, Set<string>>();
  for (const r of sink.requests) {
    const id = JSON.parse(r.body).event.id as string;
    const set = byEvent.get(id) ?? new Set();
    set.add(r.headers['webhook-id'] as string);
    byEvent.set(id, set);
  }
  for (const [event, webhookIds] of byEvent) assert.equal(webhookIds.size, 1, `event ${event}: every copy carries the same webhook-id`);
  const duplicates = sink.requests.length - 2000;
  assert.ok(duplicates <= CONCURRENCY, `duplicates (${duplicates}) are at most the attempts in flight at the kill (${CONCURRENCY})`);
  assert.equal(await stopProcess(proc), 0, 'SIGTERM exits 0');
});
