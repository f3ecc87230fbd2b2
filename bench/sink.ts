// A keep-alive HTTP sink in its own process: counts notifications (per path: Herald posts to
// /herald, Alertmanager to /am) and measures end-to-end latency from the timestamp the load
// generator put in the event (`data.t` in native events, the `bench_t` annotation in alerts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const wallNow = () => performance.timeOrigin + performance.now();
let count = 0;
let alerts = 0;
let latencies: number[] = [];
// Parsing every body would steal CPU from Herald in throughput phases.
let measuring = false;
/** While set, every notification is refused with 503 (a receiver outage: work piles up). */
let refusing = false;

/** Alertmanager groups alerts into one notification; each alert in it has one `startsAt`. */
const STARTS_AT = /"startsAt"/g;
const BENCH_T = /"bench_t":"([\d.]+)"/g;

function record(path: string | undefined, body: string): void {
  const now = wallNow();
  if (path === '/herald') {
    // Native events carry `data.t` (a number); Alertmanager-format ones the `bench_t` annotation.
    const m = /"t":([\d.]+)/.exec(body) ?? /"bench_t":"([\d.]+)"/.exec(body);
    if (m) latencies.push(now - Number(m[1]));
    return;
  }
  for (const m of body.matchAll(BENCH_T)) latencies.push(now - Number(m[1]));
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (refusing && req.url !== '/raw') {
      res.statusCode = 503;
      res.end('paused');
      return;
    }
    count++;
    if (req.url === '/am') {
      const body = Buffer.concat(chunks).toString();
      alerts += body.match(STARTS_AT)?.length ?? 0;
      if (measuring) record(req.url, body);
    } else {
      if (req.url === '/herald') alerts++;
      if (measuring) record(req.url, Buffer.concat(chunks).toString());
    }
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'count') process.send?.({ count, alerts });
  if (m.cmd === 'measure') {
    measuring = true;
    process.send?.({ measuring });
  }
  if (m.cmd === 'refuse' || m.cmd === 'accept') {
    refusing = m.cmd === 'refuse';
    process.send?.({ refusing });
  }
  if (m.cmd === 'stats') process.send?.({ count, alerts, latencies });
  if (m.cmd === 'reset') {
    count = 0;
    alerts = 0;
    latencies = [];
    measuring = false;
    refusing = false;
    process.send?.({ reset: true });
  }
  if (m.cmd === 'exit') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
