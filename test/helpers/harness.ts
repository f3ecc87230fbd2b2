import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Clock } from '@herald/sdk';
import { Herald } from '../../src/app/herald.js';
import { type HeraldConfig, parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/lib/logger.js';
import { builtinRegistry } from '../../src/plugins/builtins.js';
import type { Registry } from '../../src/registry/registry.js';

export function registry(): Registry {
  return builtinRegistry();
}

export function tempDir(t?: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  t?.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface Sink {
  url: string;
  port: number;
  requests: RecordedRequest[];
  connections: number;
  /** Replace to script answers; default 200 "ok". */
  respond: (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;
  close(): Promise<void>;
}

/** A loopback HTTP server that records every request. */
export async function startSink(): Promise<Sink> {
  const sink: Sink = {
    url: '',
    port: 0,
    requests: [],
    connections: 0,
    respond: (_req, res) => {
      res.end('ok');
    },
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      sink.requests.push(rec);
      void sink.respond(rec, res);
    });
  });
  server.on('connection', () => {
    sink.connections++;
  });
  server.keepAliveTimeout = 30_000;
  const listening = await listenLoopback(server);
  sink.port = listening.port;
  sink.url = listening.url;
  sink.close = listening.close;
  return sink;
}

/** Collects log lines in memory, so tests can assert on them (and on what they lack). */
export function memoryLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, destination };
}

export interface TestHerald {
  herald: Herald;
  config: HeraldConfig;
  logLines: string[];
  dbPath: string;
  stop(): Promise<void>;
}

/** Starts Herald in-process on a temp SQLite file. `yaml` must not set storage. */
export async function startHerald(
  t: { after(fn: () => unknown): void },
  yaml: string,
  opts: { clock?: Clock; listen?: boolean; dir?: string; env?: NodeJS.ProcessEnv; random?: () => number } = {},
): Promise<TestHerald> {
  const dir = opts.dir ?? tempDir(t);
  const dbPath = join(dir, 'herald.db');
  const config = parseConfig(`${yaml}\nstorage: {url: "sqlite:${dbPath}"}\n`, registry(), opts.env ?? {});
  const { lines, destination } = memoryLog();
  const log = createLogger({ level: 'debug', format: 'json', destination, secrets: () => config.secrets });
  const herald = await Herald.start({ config, registry: registry(), log, clock: opts.clock, listen: opts.listen ?? false, random: opts.random });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await herald.stop();
  };
  t.after(stop);
  return { herald, config, logLines: lines, dbPath, stop };
}

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private t = Date.parse('2026-03-01T12:00:00Z')) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
  /** Virtual sleep: time jumps forward at once, so paced or delayed code runs at full speed. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (ms > 0) this.t += ms;
    return new Promise((resolve) => setImmediate(resolve));
  }
}

/** Polls until `check` passes or `ms` runs out. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

export interface DeliveryView {
  id: string;
  state: string;
  attempts: number;
  tries: number;
  run_at: string;
  last_error: string | null;
  last_status: number | null;
}

/** Deliveries as the API lists them, newest first. */
export async function deliveries(h: TestHerald, query = ''): Promise<DeliveryView[]> {
  return (await h.herald.server.inject({ method: 'GET', url: `/api/v1/deliveries?limit=500${query}` })).json().deliveries as DeliveryView[];
}

/** A throwaway self-signed certificate (openssl) for a loopback TLS server. */
export function selfSignedCert(altName: 'IP:127.0.0.1' | 'DNS:localhost'): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'herald-cert-'));
  try {
    const cn = altName.split(':')[1] as string;
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        `subjectAltName=${altName}`,
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      {
        stdio: 'ignore',
      },
    );
    return { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Listens on 127.0.0.1 at a free port; `close` also drops kept-alive connections. */
export async function listenLoopback(server: Server | import('node:https').Server): Promise<{ port: number; url: string; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Deterministic "nothing more will happen now": runs an incident-dispatcher
 * pass at the clock's current time (after any pass in progress), claims what
 * is due and waits for those sends to be recorded, until a round starts
 * nothing. What a test asserts afterwards is everything Herald does until the
 * clock moves, so "nothing was sent" checks need no fixed sleep. The
 * dispatcher and engine are private to Herald; only tests reach in.
 */
export async function drain(h: { herald: Herald }): Promise<void> {
  const inside = h.herald as unknown as {
    dispatcher: { tick(): Promise<void> };
    engine: { pump(): Promise<number>; inFlight: Map<string, { promise: Promise<void> }> };
  };
  for (let round = 0; round < 100; round++) {
    await inside.dispatcher.tick();
    const started = await inside.engine.pump();
    const flights = [...inside.engine.inFlight.values()].map((f) => f.promise);
    await Promise.allSettled(flights);
    if (started === 0 && flights.length === 0) return;
  }
  throw new Error('drain: Herald kept starting deliveries for 100 rounds');
}
