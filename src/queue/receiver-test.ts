import { type Clock, DeliveryError, type HeraldEvent, type HttpClient, type Person } from '@herald/sdk';
import { toHeraldEvent } from '../core/event.js';
import { newId } from '../lib/ids.js';
import type { ActiveReceiver } from './engine.js';

/** The sample a console "Send test" sends (the same as `herald test`'s). */
const TEST_EVENT = {
  title: 'Herald test notification',
  text: 'If you can read this, the receiver works.',
  source: 'herald',
  type: 'test',
  status: 'firing',
  severity: 'info',
  key: 'herald-test',
  labels: { env: 'test' },
} as const;

/** The outcome of one test send, as the console shows it. */
export interface ReceiverTestResult {
  receiver: string;
  type: string;
  ok: boolean;
  duration_ms: number;
  reason: string | null;
  retryable: boolean | null;
  error: string | null;
  /** The target's answer to the last request, secrets masked. */
  response: { status: number; body: string } | null;
}

export interface ReceiverTestOptions {
  clock: Clock;
  /** The people a notification of `event` to `receiver` carries. */
  people: (event: HeraldEvent, receiver: string) => Person[];
  /** How long the send may take (delivery.timeout). */
  timeoutMs: number;
}

/**
 * What `herald test <receiver>` does, with the running receiver: sends a sample event now through
 * its guarded client and reports the outcome. Nothing is stored; the attempt is not a delivery.
 */
export async function sendTestNotification(r: ActiveReceiver, o: ReceiverTestOptions): Promise<ReceiverTestResult> {
  let response: { status: number; body: string } | null = null;
  const http: HttpClient = {
    request: async (req) => {
      const res = await r.http.request(req);
      response = { status: res.status, body: r.redact(res.body.slice(0, 2000)) };
      return res;
    },
  };
  const now = o.clock.now();
  const event = toHeraldEvent(TEST_EVENT, newId(now), now);
  const people = o.people(event, r.name);
  const t0 = performance.now();
  const memory = new Map<string, string>();
  try {
    await r.instance.send(
      { id: newId(now), receiver: r.name, event, people },
      {
        http,
        net: r.net,
        // A test must not disturb the receiver's real state (e.g. a thread it replies in).
        state: {
          get: async (k) => memory.get(k),
          set: async (k, v) => void memory.set(k, v),
          delete: async (k) => void memory.delete(k),
        },
        log: r.log,
        clock: o.clock,
        attempt: 1,
        signal: AbortSignal.timeout(o.timeoutMs),
      },
    );
    return { receiver: r.name, type: r.type, ok: true, duration_ms: Math.round(performance.now() - t0), reason: null, retryable: null, error: null, response };
  } catch (err) {
    const e = err instanceof DeliveryError ? err : undefined;
    return {
      receiver: r.name,
      type: r.type,
      ok: false,
      duration_ms: Math.round(performance.now() - t0),
      reason: e?.reason ?? 'config',
      retryable: e?.retryable ?? null,
      error: r.redact((err as Error).message),
      response,
    };
  }
}
