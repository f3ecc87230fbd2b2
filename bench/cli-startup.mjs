// CLI start-up: wall time of `node -e 0`, `herald --version` and `herald deliveries` (against a
// port nobody listens on, so the command runs its whole path up to the refused connection).
// Usage: npm run build --silent && node bench/cli-startup.mjs [runs] [main.js …]
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const runs = Number(process.argv[2] ?? 15);
const mains = process.argv.slice(3).length > 0 ? process.argv.slice(3) : ['dist/src/cli/main.js'];
const srv = createServer();
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const port = srv.address().port;
await new Promise((r) => srv.close(r));
const env = { ...process.env, HERALD_URL: '', HERALD_TOKEN: '', HERALD_CONFIG: '', NODE_OPTIONS: '' };

function median(args) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    spawnSync(process.execPath, args, { env, stdio: 'ignore' });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]);
}

const rows = [['node -e 0', median(['-e', '0'])]];
for (const main of mains) {
  rows.push([`${main} --version`, median([main, '--version'])]);
  rows.push([`${main} deliveries`, median([main, 'deliveries', '--server', `http://127.0.0.1:${port}`])]);
}
console.log(`| command | median of ${runs} (ms) |\n|---|---|`);
for (const [name, ms] of rows) console.log(`| \`${name}\` | ${ms} |`);
