// A keep-alive HTTP sink in its own process: counts deliveries and measures
// end-to-end latency from the timestamp the load generator put in the event.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const wallNow = () => performance.timeOrigin + performance.now();
let count = 0;
let latencies: number[] = [];
// Parsing every body would steal CPU from Herald in throughput phases.
let measuring = false;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    count++;
    if (measuring && req.url === '/herald') {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { event?: { data?: { t?: number } } };
        const t = body.event?.data?.t;
        if (typeof t === 'number') latencies.push(wallNow() - t);
      } catch {
        // counted anyway; the bench checks counts
      }
    }
    res.end('ok');
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.address() as AddressInfo).port });
});
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'count') process.send?.({ count });
  if (m.cmd === 'measure') {
    measuring = true;
    process.send?.({ measuring });
  }
  if (m.cmd === 'stats') process.send?.({ count, latencies });
  if (m.cmd === 'reset') {
    count = 0;
    latencies = [];
    process.send?.({ reset: true });
  }
  if (m.cmd === 'exit') server.close(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
