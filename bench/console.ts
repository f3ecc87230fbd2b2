// The web console under load: first render of the events page with 100,000
// events in the store, and the CPU cost of 50 live events/s on an open page
// (the browser tab via CDP, Herald from /proc) beside the same page idle.
// All loopback, bounded (~2 minutes). Writes its section of bench/RESULTS.md.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CDPSession } from 'playwright-core';
import { launch } from '../test/console/browser.js';
import { freePort, ROOT, runHerald, stopProcess, waitForHttp } from '../test/helpers/process.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const RATE = 50;
const WINDOW_MS = 10_000;
const BEGIN = '<!-- console-bench:begin -->';
const END = '<!-- console-bench:end -->';

const dir = mkdtempSync(join(tmpdir(), 'herald-console-bench-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const cfg = join(dir, 'herald.yaml');
writeFileSync(
  cfg,
  `server: {listen: "127.0.0.1:${port}", body_limit: 4MiB}\nstorage: {url: "sqlite:${join(dir, 'herald.db')}"}\nlog: {level: warn}\nreceivers: []\nroutes: []\n`,
);
const herald = runHerald(['serve', '-c', cfg]);
const pid = herald.child.pid as number;

const CLK = 100; // USER_HZ on Linux
/** utime + stime of a process, in seconds. */
function cpuSeconds(p: number): number {
  const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK;
}

async function post(body: unknown): Promise<void> {
  const res = await fetch(`${base}/api/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
}

const sev = ['critical', 'error', 'warning', 'info'];
const sample = (i: number) => ({
  title: `disk usage ${50 + (i % 50)}% on host-${i % 500}`,
  source: ['prometheus', 'github', 'uptime', 'ci'][i % 4],
  status: i % 3 === 0 ? 'firing' : 'info',
  severity: sev[i % 4],
  key: `disk:host-${i % 500}`,
  labels: { host: `host-${i % 500}`, env: i % 2 ? 'prod' : 'staging', team: `team-${i % 7}` },
});

interface Sample {
  /** Of the tab's time: script, layout and style recalculation, each as a share of one core. */
  script: number;
  layout: number;
  style: number;
  tabCpu: number;
  heraldCpu: number;
  seconds: number;
}

async function measure(cdp: CDPSession, during: () => Promise<void>): Promise<Sample> {
  const tab = async () => {
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    const get = (n: string) => metrics.find((m) => m.name === n)?.value ?? 0;
    return { task: get('TaskDuration'), script: get('ScriptDuration'), layout: get('LayoutDuration'), style: get('RecalcStyleDuration') };
  };
  const t0 = performance.now();
  const tab0 = await tab();
  const h0 = cpuSeconds(pid);
  await during();
  const seconds = (performance.now() - t0) / 1000;
  const tab1 = await tab();
  const h1 = cpuSeconds(pid);
  return {
    tabCpu: (tab1.task - tab0.task) / seconds,
    script: (tab1.script - tab0.script) / seconds,
    layout: (tab1.layout - tab0.layout) / seconds,
    style: (tab1.style - tab0.style) / seconds,
    heraldCpu: (h1 - h0) / seconds,
    seconds,
  };
}

try {
  await waitForHttp(`${base}/healthz`);
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i += 1000) await post(Array.from({ length: Math.min(1000, EVENTS - i) }, (_, k) => sample(i + k)));
  const fillS = (performance.now() - t0) / 1000;
  console.log(`stored ${EVENTS} events in ${fillS.toFixed(1)} s`);

  const context = await launch(join(dir, 'chromium'));
  const page = context.pages()[0] ?? (await context.newPage());
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');

  // First render: navigation start to the first rows on screen, cold (fresh profile, no cache).
  const nav0 = performance.now();
  await page.goto(`${base}/events`);
  await page.waitForSelector('table.events tbody tr');
  const firstRowsMs = performance.now() - nav0;
  const fcp = Number(await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? 0"));
  const rows = await page.locator('table.events tbody tr').count();
  await page.waitForSelector('#live-state.ok');
  // Warm: the same page again, cached assets.
  const nav1 = performance.now();
  await page.reload();
  await page.waitForSelector('table.events tbody tr');
  const warmMs = performance.now() - nav1;
  await page.waitForSelector('#live-state.ok');

  const idle = await measure(cdp, () => new Promise((r) => setTimeout(r, WINDOW_MS)));
  let sent = 0;
  const loaded = await measure(cdp, async () => {
    const start = performance.now();
    while (performance.now() - start < WINDOW_MS) {
      const due = Math.floor(((performance.now() - start) / 1000) * RATE);
      while (sent < due) await post(sample(EVENTS + sent++));
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  // Every live event reached the page (the list keeps the newest 500).
  await page
    .waitForSelector(`table.events tbody tr:nth-child(${Math.min(500, rows + sent)})`, { timeout: 10_000 })
    .catch(() => console.error('not every live event reached the page'));
  const shown = await page.locator('table.events tbody tr').count();
  await context.close();

  const size = (f: string) => {
    const b = readFileSync(join(ROOT, 'dist/web', f));
    return { raw: b.length, gz: gzipSync(b, { level: 9 }).length };
  };
  const files = ['app.js', 'style.css', 'index.html'].map((f) => ({ f, ...size(f) }));
  const total = files.reduce((a, x) => ({ raw: a.raw + x.raw, gz: a.gz + x.gz }), { raw: 0, gz: 0 });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const today = new Date().toISOString().slice(0, 10);
  const section = `${BEGIN}
## Web console (\`npm run bench:console\`)

Produced on ${today}: ${cpus().length} cores, Node ${process.version}, Debian's Chromium (headless, playwright-core).
Herald runs built (\`dist/\`) on SQLite with ${EVENTS.toLocaleString('en')} events stored (${fillS.toFixed(1)} s to post them through the API, 1,000 per request);
the bench posts the live events itself. CPU is a share of one core: the tab's from CDP \`Performance.getMetrics\`
(\`TaskDuration\`), Herald's from \`/proc/<pid>/stat\` (utime + stime), each over ${WINDOW_MS / 1000} s.

| measure | result |
|---|---|
| Bundle, gzip (app.js + style.css + index.html) | ${kb(total.gz)} (${kb(total.raw)} raw; app.js ${kb(files[0]?.gz ?? 0)} gzip) |
| Events page, first render with ${EVENTS.toLocaleString('en')} events stored (cold: navigation → first rows) | ${firstRowsMs.toFixed(0)} ms (first contentful paint ${fcp.toFixed(0)} ms; ${rows} rows) |
| Same, warm (reload, cached assets) | ${warmMs.toFixed(0)} ms |
| Open page, idle: tab CPU / Herald CPU | ${pct(idle.tabCpu)} / ${pct(idle.heraldCpu)} |
| Open page, ${RATE} live events/s (${sent} posted one per request): tab CPU / Herald CPU | ${pct(loaded.tabCpu)} / ${pct(loaded.heraldCpu)} |
| … of the tab's: script / style / layout | ${pct(loaded.script)} / ${pct(loaded.style)} / ${pct(loaded.layout)} |
| Rows on the page afterwards (the list keeps the newest 500) | ${shown} |

Herald's CPU under load includes ingesting the ${RATE} requests/s itself (validation, fsynced commit), not only the
stream. The tab's share beyond script, style and layout is paint and compositing, done in software here (headless,
\`--disable-gpu\`); the page applies live events in 500 ms batches and re-renders only the new rows. The first page is
one indexed query (newest 100 by id), so the store's size barely shows in first render; the cold figure includes
Chromium's first navigation in a fresh profile.
${END}`;
  const path = join(ROOT, 'bench/RESULTS.md');
  const current = readFileSync(path, 'utf8');
  const next = current.includes(BEGIN)
    ? current.slice(0, current.indexOf(BEGIN)) + section + current.slice(current.indexOf(END) + END.length)
    : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
  console.log(section);
} finally {
  await stopProcess(herald);
  rmSync(dir, { recursive: true, force: true });
}
