// Helpers shared by the benchmarks: the sink process, closed-loop and open-loop drivers, and
// what /proc says about a process.
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const wallNow = () => performance.timeOrigin + performance.now();
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SinkStats {
  count: number;
  alerts: number;
  latencies: number[];
}

export interface Sink {
  child: ChildProcess;
  port: number;
  ask: <T>(cmd: string) => Promise<T>;
}

export function startSink(): Promise<Sink> {
  const child = fork(join(ROOT, 'bench/sink.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(cmd: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send({ cmd });
    });
  return new Promise((resolve) => child.once('message', (m) => resolve({ child, port: (m as { port: number }).port, ask })));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export async function waitFor(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`bench: timed out waiting for ${what}`);
}

/** Peak resident set (VmHWM) of a live process, in MiB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** CPU time (user + system) a process has used so far, in milliseconds. */
export function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces, hence the last ')'): utime is the 14th, stime the 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/** USER_HZ: 100 on every Linux this runs on (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/** The 1-minute load average, to show how quiet the machine was. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Runs `total` requests with `concurrency` workers; returns requests/s. */
export async function closedLoop(total: number, concurrency: number, send: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await send(next++);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

/**
 * Offers `rate` requests/s for `seconds` in 10 ms ticks, never more than `maxInFlight` at once
 * (a request that would exceed it is dropped and counted as not offered). Resolves with how many
 * were sent once every answer is in.
 */
export async function openLoop(
  rate: number,
  seconds: number,
  maxInFlight: number,
  send: (i: number) => Promise<void>,
): Promise<{ sent: number; skipped: number }> {
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const perTick = rate / 100;
  let owed = 0;
  for (let tick = 0; tick < seconds * 100; tick++) {
    const due = wallNow() + 10;
    owed += perTick;
    for (; owed >= 1; owed--) {
      if (inFlight >= maxInFlight) {
        skipped++;
        continue;
      }
      inFlight++;
      const p = send(sent++).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
    await sleep(Math.max(0, due - wallNow()));
  }
  await Promise.all(pending);
  return { sent, skipped };
}
