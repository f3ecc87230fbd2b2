// npm run bench: Herald on SQLite (synchronous=FULL) delivering to a local
// webhook sink, beside a baseline of the same sink driven by raw keep-alive
// HTTP, all in one run. Writes bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { alertmanagerVersion, sideBySide, sideBySideMarkdown } from './alertmanager.js';
import { closedLoop, peakRssMb, percentile, ROOT, type SinkStats, sleep, startSink, waitFor, wallNow } from './lib.js';

const quick = process.argv.includes('--quick');
const SCALE = quick ? 0.2 : 1;
const phaseArg = process.argv.find((a) => a.startsWith('--phases='));
/** `--phases=batched,single` runs only those (for profiling); RESULTS.md is only written by a full run. */
const PHASES = new Set((phaseArg?.slice('--phases='.length) ?? 'baseline,batched,single,latency,alertmanager').split(','));
const roundsArg = process.argv.find((a) => a.startsWith('--rounds='));
/** Interleaved rounds of the side-by-side with Alertmanager (at least 3 for the record). */
const ROUNDS = roundsArg ? Number(roundsArg.slice('--rounds='.length)) : 3;

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const sink = await startSink();
  const port = 19470 + Math.floor(Math.random() * 500);
  const cfg = join(dir, 'herald.yaml');
  writeFileSync(
    cfg,
    `server: {listen: "127.0.0.1:${port}"}
storage: {url: "sqlite:${join(dir, 'bench.db')}", synchronous: FULL}
log: {level: warn, format: json}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {concurrency: 128}
receivers:
  - {name: sink, type: webhook, url: "http://127.0.0.1:${sink.port}/herald", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
routes: [{receivers: [sink]}]
`,
  );
  const prof = process.env.HERALD_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HERALD_BENCH_PROFILE}`] : [];
  // The built Herald with the heap limit `npm start` uses (npm run bench builds first).
  const nodeFlags = (process.env.HERALD_BENCH_NODE_FLAGS ?? '--max-old-space-size=128').split(' ').filter(Boolean);
  const herald = spawn(process.execPath, [...prof, ...nodeFlags, 'dist/src/cli/main.js', 'serve', '-c', cfg], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const heraldPool = new Pool(`http://127.0.0.1:${port}`, { connections: 16, pipelining: 1 });
  const sinkPool = new Pool(`http://127.0.0.1:${sink.port}`, { connections: 16, pipelining: 1 });
  const results: Record<string, number> = {};
  const stop = async () => {
    await heraldPool.close().catch(() => {});
    await sinkPool.close().catch(() => {});
    if (herald.exitCode === null) {
      herald.kill('SIGTERM');
      await new Promise((r) => herald.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        try {
          const r = await heraldPool.request({ path: '/healthz', method: 'GET' });
          await r.body.text();
          return r.statusCode === 200;
        } catch {
          return false;
        }
      },
      30_000,
      'herald to start',
    );
    const post = async (body: unknown) => {
      const r = await heraldPool.request({
        path: '/api/v1/events',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await r.body.text();
      if (r.statusCode !== 202) throw new Error(`ingest answered ${r.statusCode}: ${text}`);
    };
    const sinkCount = async () => (await sink.ask<{ count: number }>('count')).count;
    const event = (i: number) => ({ title: `bench event ${i}`, source: 'bench', status: 'firing', labels: { n: String(i % 100) }, data: { t: wallNow() } });

    const rate = 500;
    const latSeconds = quick ? 4 : 10;
    if (PHASES.has('baseline')) {
      // Baseline: the same sink, raw keep-alive HTTP, 16 concurrent clients.
      const baselineN = Math.round(40_000 * SCALE);
      const payload = JSON.stringify({ event: event(0), receiver: 'sink', attempt: 1 });
      await closedLoop(2000, 16, async () => {
        const r = await sinkPool.request({ path: '/raw', method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
        await r.body.text();
      });
      results.baselineRps = await closedLoop(baselineN, 16, async () => {
        const r = await sinkPool.request({ path: '/raw', method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
        await r.body.text();
      });
      // Baseline latency at the same offered rate as Herald's latency phase.
      const baseLat: number[] = [];
      for (let tick = 0; tick < latSeconds * 100; tick++) {
        const due = wallNow() + 10;
        for (let k = 0; k < rate / 100; k++) {
          const t0 = wallNow();
          void sinkPool.request({ path: '/raw', method: 'POST', headers: { 'content-type': 'application/json' }, body: payload }).then(async (r) => {
            await r.body.text();
            baseLat.push(wallNow() - t0);
          });
        }
        await sleep(Math.max(0, due - wallNow()));
      }
      await sleep(200);
      baseLat.sort((a, b) => a - b);
      results.baselineP50 = percentile(baseLat, 50);
      results.baselineP99 = percentile(baseLat, 99);
      await sink.ask('reset');
    }

    // Warm up Herald (JIT, SQLite page cache).
    for (let i = 0; i < 20; i++) await post(Array.from({ length: 100 }, (_, j) => event(i * 100 + j)));
    await waitFor(async () => (await sinkCount()) >= 2000, 60_000, 'warm-up deliveries');
    await sink.ask('reset');

    if (PHASES.has('batched')) {
      // Batched ingest: 100 events per request, 4 concurrent clients.
      const batchedN = Math.round(60_000 * SCALE);
      const t0 = performance.now();
      await closedLoop(batchedN / 100, 4, (i) => post(Array.from({ length: 100 }, (_, j) => event(i * 100 + j))));
      results.batchedAcceptedPerSec = batchedN / ((performance.now() - t0) / 1000);
      await waitFor(async () => (await sinkCount()) >= batchedN, 120_000, 'batched deliveries');
      results.batchedDeliveredPerSec = batchedN / ((performance.now() - t0) / 1000);
      await sink.ask('reset');
    }

    if (PHASES.has('single')) {
      // Single-event ingest: 16 concurrent clients, one event per request.
      const singleN = Math.round(30_000 * SCALE);
      const t0 = performance.now();
      await closedLoop(singleN, 16, (i) => post(event(i)));
      results.singleAcceptedPerSec = singleN / ((performance.now() - t0) / 1000);
      await waitFor(async () => (await sinkCount()) >= singleN, 120_000, 'single deliveries');
      results.singleDeliveredPerSec = singleN / ((performance.now() - t0) / 1000);
      await sink.ask('reset');
    }

    if (PHASES.has('latency')) {
      // Latency at a fixed offered rate: ingest → delivery, measured at the sink.
      await sink.ask('measure');
      let sent = 0;
      for (let tick = 0; tick < latSeconds * 100; tick++) {
        const due = wallNow() + 10;
        for (let k = 0; k < rate / 100; k++) {
          void post(event(sent++));
        }
        await sleep(Math.max(0, due - wallNow()));
      }
      await waitFor(async () => (await sinkCount()) >= sent, 60_000, 'latency deliveries');
      const lat = (await sink.ask<SinkStats>('stats')).latencies.sort((a, b) => a - b);
      results.e2eP50 = percentile(lat, 50);
      results.e2eP99 = percentile(lat, 99);
      results.e2eCount = lat.length;
    }
    results.peakRssMb = peakRssMb(herald.pid as number);
  } finally {
    await stop();
  }
  let sideBySideSection: string | undefined;
  try {
    if (PHASES.has('alertmanager')) {
      const version = alertmanagerVersion();
      if (!version) console.log('prometheus-alertmanager is not on PATH: the side-by-side reports Herald ÷ raw only');
      const rounds = await sideBySide(sink, ROUNDS, SCALE, (line) => console.log(line));
      sideBySideSection = sideBySideMarkdown(rounds, version, SCALE);
      console.log(sideBySideSection);
    }
  } finally {
    sink.child.send({ cmd: 'exit' });
  }
  report(results, sideBySideSection);
}

function report(r: Record<string, number>, sideBySideSection: string | undefined) {
  const f = (n: number | undefined, d = 0) =>
    n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : 'n/a');
  const b = r.baselineRps;
  const rows = [
    ['Baseline: raw keep-alive POSTs to the sink (16 clients)', `${f(b)} req/s`, '1.00×', '—'],
    ['Batched ingest (100/request, 4 clients): accepted', `${f(r.batchedAcceptedPerSec)} events/s`, ratio(r.batchedAcceptedPerSec, b), '—'],
    ['Batched ingest: delivered end to end', `${f(r.batchedDeliveredPerSec)} events/s`, ratio(r.batchedDeliveredPerSec, b), '≥ 6,000/s'],
    ['Single-event ingest (16 clients): accepted', `${f(r.singleAcceptedPerSec)} events/s`, ratio(r.singleAcceptedPerSec, b), '—'],
    ['Single-event ingest: delivered end to end', `${f(r.singleDeliveredPerSec)} events/s`, ratio(r.singleDeliveredPerSec, b), '≥ 3,000/s'],
    [`Latency at 500 events/s, baseline round trip p50 / p99`, `${f(r.baselineP50, 2)} / ${f(r.baselineP99, 2)} ms`, '—', '—'],
    [
      `Latency at 500 events/s, ingest → delivery p50 / p99 (${f(r.e2eCount)} events)`,
      `${f(r.e2eP50, 2)} / ${f(r.e2eP99, 2)} ms`,
      `${ratio(r.e2eP99, r.baselineP99)} of baseline p99`,
      'p99 < 50 ms',
    ],
    ['Herald peak RSS (VmHWM)', `${f(r.peakRssMb, 1)} MB`, '—', '< 200 MB'],
  ];
  const table = ['| measure | result | ratio to baseline | target |', '|---|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const md = `# Benchmark results

Produced by \`npm run bench\`${quick ? ' --quick (reduced sizes)' : ''} on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpu}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}.

Herald runs built (\`dist/\`), as \`npm start\` runs it (\`--max-old-space-size=128\`), on SQLite with
\`synchronous=FULL\` for accepting events (every acceptance commit is fsynced before the 202; delivery
bookkeeping is not, see docs/adr/0002), with one \`webhook\` receiver (Standard Webhooks signed,
concurrency 128) pointed at a loopback sink in a second process; the load generator is a third process.
All three share the machine's cores. The baseline drives the same sink with raw keep-alive HTTP in the same
run, so the ratios, not the absolute numbers, are what compare across machines. Every event becomes one
signed delivery.

${table}

On this VM, absolute figures swing by about 1.5× between runs on the same day (the raw baseline
measured 18k–28k req/s); in a run whose baseline was 28k req/s, Herald delivered 5,693 events/s
batched and 3,092/s single with p99 7.9 ms. Compare ratios.

## What the profile shows

- Herald is CPU-bound on one core in the throughput phases; what remains is spread thin: SQLite execution
  (~16 %), garbage collection (~7 %), undici, HMAC signing, JSON.
- Group commit: ingest requests that arrive together share one transaction, so an fsync is paid per batch,
  not per request.
- Claims are batched per receiver and use a partial index \`(receiver, run_at) WHERE state IN
  ('pending','failed')\`; an earlier \`OR\` in the claim query scanned the whole table (2.1k → 3.4k/s batched
  when fixed). Finished attempts are recorded in batches.
- Kysely re-prepared every statement; a prepared-statement cache under it removed that.
- Events just committed are handed to the delivery engine in memory, so first attempts need no read.
- A dedicated thread for the SQLite store was tried and measured no faster on two shared cores (it added
  cloning and ~50 MB RSS), so it was not kept.
- Peak RSS without a heap limit was ~240–300 MB, almost all garbage awaiting a major GC (durable state
  lives in SQLite; in-memory structures are bounded); \`--max-old-space-size=128\` bounds it.
`;
  if (!phaseArg) {
    // Sections measured by their own runs are carried over: CLI start-up (bench/cli-startup.mjs)
    // and the web console (bench/console.ts).
    const file = join(ROOT, 'bench/RESULTS.md');
    const previous = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const cliSection = /\n## CLI start-up\n[\s\S]*?(?=\n## |\n<!-- console-bench:begin -->|$)/.exec(previous)?.[0] ?? '';
    const begin = previous.indexOf('<!-- console-bench:begin -->');
    const end = previous.indexOf('<!-- console-bench:end -->');
    const consoleSection = begin >= 0 && end > begin ? `\n${previous.slice(begin, end + '<!-- console-bench:end -->'.length)}\n` : '';
    writeFileSync(file, `${md.trimEnd()}\n\n${sideBySideSection ?? ''}\n${cliSection}${consoleSection}`);
  }
  console.log(table);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
