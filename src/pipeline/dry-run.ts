import type { HeraldEvent, HttpClient, HttpRequest, Logger, Notification, Person, ReceiverInstance, TcpClient } from '@herald/sdk';
import { memoryState } from '@herald/sdk/testing';
import { type Route, route } from '../core/routing.js';
import { systemClock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';

/** What one receiver would have sent. */
export interface RenderedOutput {
  kind: 'http' | 'log' | 'tcp';
  request?: { method: string; url: string; headers: Record<string, string>; body?: string };
  tcp?: { host: string; port: number; tls: boolean; data: string };
  log?: { level: string; fields: unknown; message?: string };
}

class DryRunStop extends Error {}

/**
 * Runs a receiver's real send() with transports that record instead of
 * sending, and stops it at its first outbound request. Nothing leaves Herald.
 */
export async function renderDryRun(instance: ReceiverInstance, notification: Notification, mask: (s: string) => string): Promise<RenderedOutput[]> {
  const out: RenderedOutput[] = [];
  const http: HttpClient = {
    async request(req: HttpRequest) {
      const body = req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString('utf8');
      out.push({
        kind: 'http',
        request: {
          method: req.method ?? 'POST',
          url: mask(req.url),
          headers: maskHeaders(req.headers ?? {}, mask),
          body: body === undefined ? undefined : mask(body),
        },
      });
      throw new DryRunStop('dry run');
    },
  };
  const net: TcpClient = {
    async send(req) {
      const data = typeof req.data === 'string' ? req.data : Buffer.from(req.data).toString('utf8');
      out.push({ kind: 'tcp', tcp: { host: req.host, port: req.port, tls: req.tls ?? false, data: mask(data) } });
      throw new DryRunStop('dry run');
    },
    async connect(req) {
      out.push({ kind: 'tcp', tcp: { host: req.host, port: req.port, tls: false, data: '' } });
      throw new DryRunStop('dry run');
    },
  };
  const record =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      out.push({ kind: 'log', log: { level, fields: JSON.parse(mask(JSON.stringify(obj))) as unknown, message: msg === undefined ? undefined : mask(msg) } });
    };
  const log: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error'), child: () => log };
  try {
    await instance.send(notification, { http, net, state: memoryState(), log, clock: systemClock, attempt: 1, signal: new AbortController().signal });
  } catch (err) {
    if (!(err instanceof DryRunStop)) throw err;
  }
  return out;
}

/** What one routed receiver would have sent for an event. */
export interface DryRunResult {
  receiver: string;
  type: string;
  output: RenderedOutput[];
}

export interface DryRunOptions {
  routes: readonly Route[];
  /** The running receivers by name; a routed name without one (not built yet) is left out. */
  receiver: (name: string) => { type: string; instance: ReceiverInstance; redact: (s: string) => string } | undefined;
  /** The people a notification of `event` to `receiver` carries. */
  people: (event: HeraldEvent, receiver: string) => Person[];
}

/** Routes `event` and renders what each receiver it reaches would send (routes/test, the console's previews). */
export async function dryRunEvent(event: HeraldEvent, o: DryRunOptions): Promise<DryRunResult[]> {
  const out: DryRunResult[] = [];
  for (const name of route(o.routes, event).receivers) {
    const r = o.receiver(name);
    if (!r) continue;
    const output = await renderDryRun(r.instance, { id: newId(), receiver: name, event, people: o.people(event, name) }, r.redact);
    out.push({ receiver: name, type: r.type, output });
  }
  return out;
}

const SENSITIVE_HEADERS = /^(authorization|proxy-authorization|cookie|x-api-key|dd-api-key|api-key|x-auth-token)$/i;

function maskHeaders(headers: Record<string, string>, mask: (s: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, SENSITIVE_HEADERS.test(k) ? '***' : mask(v)]));
}
