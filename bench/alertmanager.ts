// The side-by-side with Alertmanager (issue #11): the same Alertmanager-format alerts posted to
// `POST /api/v2/alerts` of Alertmanager and of Herald, each notifying the same loopback sink once
// per alert, interleaved with a raw baseline of that sink (raw, Alertmanager, Herald) for several
// rounds. Every round's numbers are kept; the summary is the median over all rounds.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { closedLoop, cpuMs, loadAverage, median, openLoop, peakRssMb, percentile, ROOT, type Sink, type SinkStats, sleep, waitFor, wallNow } from './lib.js';

export const ALERTMANAGER_BINARY = 'prometheus-alertmanager';

/** The Debian package's binary, if installed (`apt-get install prometheus-alertmanager`). */
export function alertmanagerVersion(): string | undefined {
  const r = spawnSync(ALERTMANAGER_BINARY, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /version (\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

interface System {
  name: 'alertmanager' | 'herald';
  pid: number;
  pool: Pool;
  /** Where the sink counts this system's notifications. */
  stop(): Promise<void>;
}

/** One system's figures in one round. */
export interface SystemRound {
  singleDeliveredPerSec: number;
  singleCpuMsPerAlert: number;
  batchedAcceptedPerSec: number;
  batchedDeliveredPerSec: number;
  batchedCpuMsPerAlert: number;
  p50: number;
  p99: number;
  latencyCount: number;
  achievedAt2000: number;
  skippedAt2000: number;
  peakRssMb: number;
}

export interface Round {
  load: number;
  rawRps: number;
  alertmanager?: SystemRound;
  herald: SystemRound;
}

interface Sizes {
  single: number;
  batched: number;
  latencySeconds: number;
  rateSeconds: number;
  backlog: number;
}

let alertSeq = 0;

/** One Alertmanager-format alert with labels no earlier alert had (Alertmanager merges equal label sets). */
function alert(): Record<string, unknown> {
  const n = alertSeq++;
  return {
    labels: { alertname: 'BenchAlert', instance: `host-${n}`, job: 'bench', severity: 'warning' },
    annotations: { summary: `bench alert ${n}`, bench_t: String(wallNow()) },
    startsAt: new Date().toISOString(),
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=up',
  };
}

async function waitHealthy(pool: Pool, path: string, what: string): Promise<void> {
  await waitFor(
    async () => {
      try {
        const r = await pool.request({ path, method: 'GET' });
        await r.body.text();
        return r.statusCode === 200;
      } catch {
        return false;
      }
    },
    30_000,
    what,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

const freePort = () => 20000 + Math.floor(Math.random() * 20000);

async function startAlertmanager(sinkPort: number): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-am-'));
  const port = freePort();
  const cfg = join(dir, 'alertmanager.yml');
  // group_by '...' makes every alert its own group: one notification per alert, as Herald's route does.
  writeFileSync(
    cfg,
    `route:
  receiver: sink
  group_by: ['...']
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 4h
receivers:
  - name: sink
    webhook_configs:
      - url: http://127.0.0.1:${sinkPort}/am
        send_resolved: false
`,
  );
  // An empty cluster address turns gossip off: nothing listens or sends beyond the web port.
  const child = spawn(
    ALERTMANAGER_BINARY,
    [`--config.file=${cfg}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    // Its log is not shown: the outage phase makes it log every refused notification.
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 16, pipelining: 1 });
  const system: System = {
    name: 'alertmanager',
    pid: child.pid as number,
    pool,
    async stop() {
      await pool.close().catch(() => {});
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHealthy(pool, '/-/ready', 'alertmanager to start');
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}

async function startHerald(sinkPort: number): Promise<System> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-h-'));
  const port = freePort();
  const cfg = join(dir, 'herald.yaml');
  writeFileSync(
    cfg,
    `server: {listen: "127.0.0.1:${port}"}
storage: {url: "sqlite:${join(dir, 'bench.db')}", synchronous: FULL}
log: {level: error, format: json}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {concurrency: 128}
receivers:
  - {name: sink, type: webhook, url: "http://127.0.0.1:${sinkPort}/herald", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
routes: [{receivers: [sink]}]
`,
  );
  const prof = process.env.HERALD_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.HERALD_BENCH_PROFILE}`] : [];
  const nodeFlags = (process.env.HERALD_BENCH_NODE_FLAGS ?? '--max-old-space-size=128').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...prof, ...nodeFlags, 'dist/src/cli/main.js', 'serve', '-c', cfg], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 16, pipelining: 1 });
  const system: System = {
    name: 'herald',
    pid: child.pid as number,
    pool,
    async stop() {
      await pool.close().catch(() => {});
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitHealthy(pool, '/healthz', 'herald to start');
  } catch (err) {
    await system.stop();
    throw err;
  }
  return system;
}

async function postAlerts(s: System, alerts: unknown[]): Promise<void> {
  const r = await s.pool.request({ path: '/api/v2/alerts', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`${s.name} answered ${r.statusCode}: ${text.slice(0, 200)}`);
}

async function measureSystem(s: System, sink: Sink, size: Sizes): Promise<SystemRound> {
  const delivered = async () => (await sink.ask<{ alerts: number }>('count')).alerts;
  const drained = (n: number, what: string) => waitFor(async () => (await delivered()) >= n, 180_000, `${s.name}: ${what}`);

  // Warm-up: JIT, page cache, connection pools.
  for (let i = 0; i < 20; i++) await postAlerts(s, Array.from({ length: 100 }, alert));
  await drained(2000, 'warm-up deliveries');
  await sink.ask('reset');

  // One alert per request, 16 connections; CPU over intake and drain.
  let cpu0 = cpuMs(s.pid);
  let t0 = performance.now();
  await closedLoop(size.single, 16, () => postAlerts(s, [alert()]));
  await drained(size.single, 'single deliveries');
  const singleDeliveredPerSec = size.single / ((performance.now() - t0) / 1000);
  const singleCpuMsPerAlert = (cpuMs(s.pid) - cpu0) / size.single;
  await sink.ask('reset');

  // 100 alerts per request, 4 connections.
  cpu0 = cpuMs(s.pid);
  t0 = performance.now();
  await closedLoop(size.batched / 100, 4, () => postAlerts(s, Array.from({ length: 100 }, alert)));
  const batchedAcceptedPerSec = size.batched / ((performance.now() - t0) / 1000);
  await drained(size.batched, 'batched deliveries');
  const batchedDeliveredPerSec = size.batched / ((performance.now() - t0) / 1000);
  const batchedCpuMsPerAlert = (cpuMs(s.pid) - cpu0) / size.batched;
  await sink.ask('reset');

  // Offered 500 alerts/s, one per request: end-to-end latency at the sink.
  await sink.ask('measure');
  const lat = await openLoop(500, size.latencySeconds, 10_000, () => postAlerts(s, [alert()]));
  await drained(lat.sent, 'latency deliveries');
  const latencies = (await sink.ask<SinkStats>('stats')).latencies.sort((a, b) => a - b);
  await sink.ask('reset');

  // Offered 2,000 alerts/s with at most 16 requests in flight: what rate is delivered.
  t0 = performance.now();
  const fast = await openLoop(2000, size.rateSeconds, 16, () => postAlerts(s, [alert()]));
  await drained(fast.sent, '2,000/s deliveries');
  const achievedAt2000 = fast.sent / ((performance.now() - t0) / 1000);
  await sink.ask('reset');

  // A receiver outage: the sink refuses while a backlog piles up, then peak memory is read.
  await sink.ask('refuse');
  await closedLoop(size.backlog / 100, 4, () => postAlerts(s, Array.from({ length: 100 }, alert)));
  await sleep(2000);
  const peak = peakRssMb(s.pid);
  await sink.ask('reset');

  return {
    singleDeliveredPerSec,
    singleCpuMsPerAlert,
    batchedAcceptedPerSec,
    batchedDeliveredPerSec,
    batchedCpuMsPerAlert,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    latencyCount: latencies.length,
    achievedAt2000,
    skippedAt2000: fast.skipped,
    peakRssMb: peak,
  };
}

async function rawBaseline(sink: Sink, total: number): Promise<number> {
  const pool = new Pool(`http://127.0.0.1:${sink.port}`, { connections: 16, pipelining: 1 });
  const payload = JSON.stringify([alert()]);
  const one = async () => {
    const r = await pool.request({ path: '/raw', method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
    await r.body.text();
  };
  try {
    await closedLoop(2000, 16, one);
    return await closedLoop(total, 16, one);
  } finally {
    await pool.close();
    await sink.ask('reset');
  }
}

/** Runs `rounds` interleaved rounds: raw, Alertmanager (when installed), Herald. */
export async function sideBySide(sink: Sink, rounds: number, scale: number, log: (line: string) => void): Promise<Round[]> {
  const withAm = alertmanagerVersion() !== undefined;
  const size: Sizes = {
    single: Math.round(10_000 * scale),
    batched: Math.round(30_000 * scale),
    latencySeconds: scale < 1 ? 3 : 10,
    rateSeconds: scale < 1 ? 3 : 10,
    backlog: Math.round(50_000 * scale),
  };
  const out: Round[] = [];
  for (let i = 0; i < rounds; i++) {
    const load = loadAverage();
    const rawRps = await rawBaseline(sink, Math.round(40_000 * scale));
    let alertmanager: SystemRound | undefined;
    if (withAm) {
      const am = await startAlertmanager(sink.port);
      try {
        alertmanager = await measureSystem(am, sink, size);
      } finally {
        await am.stop();
      }
    }
    const h = await startHerald(sink.port);
    let herald: SystemRound;
    try {
      herald = await measureSystem(h, sink, size);
    } finally {
      await h.stop();
    }
    out.push({ load, rawRps, alertmanager, herald });
    log(
      `round ${i + 1}/${rounds}: raw ${Math.round(rawRps)} req/s; herald single ${Math.round(herald.singleDeliveredPerSec)}/s${alertmanager ? `, alertmanager ${Math.round(alertmanager.singleDeliveredPerSec)}/s` : ''}`,
    );
  }
  return out;
}

const f = (n: number | undefined, d = 0) =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const x = (n: number) => (Number.isNaN(n) ? 'n/a' : `${n.toFixed(2)}`);

/** The RESULTS.md section: medians per scenario, then every round. */
export function sideBySideMarkdown(rounds: Round[], version: string | undefined, scale: number): string {
  const med = (pick: (r: Round) => number | undefined) => median(rounds.map((r) => pick(r) ?? Number.NaN));
  const am = version !== undefined;
  const scenario = (label: string, h: (s: SystemRound) => number, ratioToRaw: boolean, digits = 0, unit = '') => {
    const hv = med((r) => h(r.herald));
    const av = am ? med((r) => (r.alertmanager ? h(r.alertmanager) : undefined)) : Number.NaN;
    const hOverAm = am ? med((r) => (r.alertmanager ? h(r.herald) / h(r.alertmanager) : undefined)) : Number.NaN;
    const hRaw = ratioToRaw ? med((r) => h(r.herald) / r.rawRps) : Number.NaN;
    const aRaw = ratioToRaw && am ? med((r) => (r.alertmanager ? h(r.alertmanager) / r.rawRps : undefined)) : Number.NaN;
    return `| ${label} | ${f(hv, digits)}${unit} | ${am ? `${f(av, digits)}${unit}` : 'not run'} | ${am ? x(hOverAm) : 'n/a'} | ${ratioToRaw ? x(hRaw) : '—'} | ${ratioToRaw && am ? x(aRaw) : '—'} |`;
  };
  const table = [
    '| scenario (medians of all rounds) | Herald | Alertmanager | Herald ÷ AM | Herald ÷ raw | AM ÷ raw |',
    '|---|---|---|---|---|---|',
    scenario('1 alert/request, 16 connections: delivered/s', (s) => s.singleDeliveredPerSec, true),
    scenario('  CPU per alert (ms), 1 alert/request', (s) => s.singleCpuMsPerAlert, false, 3),
    scenario('100 alerts/request, 4 connections: delivered/s', (s) => s.batchedDeliveredPerSec, true),
    scenario('  accepted/s, 100 alerts/request', (s) => s.batchedAcceptedPerSec, true),
    scenario('  CPU per alert (ms), 100 alerts/request', (s) => s.batchedCpuMsPerAlert, false, 3),
    scenario('offered 500/s: end-to-end p50 (ms)', (s) => s.p50, false, 2),
    scenario('offered 500/s: end-to-end p99 (ms)', (s) => s.p99, false, 2),
    scenario('offered 2,000/s, ≤ 16 requests in flight: achieved/s', (s) => s.achievedAt2000, false),
    scenario(`peak RSS (VmHWM, MiB) after a ${f(Math.round(50_000 * scale))}-alert backlog`, (s) => s.peakRssMb, false, 1),
  ].join('\n');
  const row = (i: number, r: Round, name: 'herald' | 'alertmanager') => {
    const s = r[name];
    if (!s) return undefined;
    return `| ${i + 1} | ${r.load.toFixed(2)} | ${f(r.rawRps)} | ${name} | ${f(s.singleDeliveredPerSec)} | ${s.singleCpuMsPerAlert.toFixed(3)} | ${f(s.batchedDeliveredPerSec)} | ${s.batchedCpuMsPerAlert.toFixed(3)} | ${f(s.p50, 2)} / ${f(s.p99, 2)} | ${f(s.achievedAt2000)} (${s.skippedAt2000} not offered) | ${f(s.peakRssMb, 1)} |`;
  };
  const each = [
    '| round | load avg at start | raw req/s | system | single delivered/s | CPU ms/alert | batched delivered/s | CPU ms/alert | p50 / p99 ms at 500/s | achieved at 2,000/s | VmHWM MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rounds.flatMap((r, i) => [row(i, r, 'alertmanager'), row(i, r, 'herald')].filter((l): l is string => l !== undefined)),
  ].join('\n');
  const amLine = am
    ? `Alertmanager ${version} (Debian's \`prometheus-alertmanager\`), in memory, \`group_by: ['...']\`, \`group_wait: 0s\`, \`group_interval: 1s\`, a webhook receiver to the sink; clustering off.`
    : `\`${ALERTMANAGER_BINARY}\` is not installed, so only Herald ÷ raw is reported (\`apt-get install prometheus-alertmanager\`, see bench/README.md).`;
  return `<!-- alertmanager-bench:begin -->
## Side by side with Alertmanager (\`POST /api/v2/alerts\`)

${rounds.length} interleaved rounds (raw baseline, Alertmanager, Herald; each system started fresh per round)${scale < 1 ? ', reduced sizes (--quick)' : ''}.
${amLine} Herald: built, SQLite \`synchronous=FULL\`, one signed \`webhook\` receiver to the same sink. Both get the same
Alertmanager-format alerts (unique label sets); every alert is one notification. CPU is utime + stime from \`/proc/<pid>/stat\`
over intake and drain, divided by the alerts; latency is measured at the sink from a timestamp annotation.

${table}

Every round:

${each}
<!-- alertmanager-bench:end -->`;
}
