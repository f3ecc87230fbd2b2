import type { EventInput } from '@herald/sdk';
import { FakeClock, type TestHerald } from '../../../test/helpers/harness.js';
import { type CheckListener, isCheckListener } from './runner.js';

/** A stored event as the API lists it. */
export type StoredEvent = EventInput & { id: string; source: string; data: { results: { ok: boolean; message: string; at: string }[] } };

/** Stored events of one source, oldest first. */
export async function storedEvents(h: TestHerald, source: string): Promise<StoredEvent[]> {
  const res = await h.herald.server.inject({ method: 'GET', url: `/api/v1/events?source=${source}&limit=500` });
  const events = res.json().events as StoredEvent[];
  return events.sort((a, b) => Date.parse(a.occurred_at ?? '') - Date.parse(b.occurred_at ?? '') || a.id.localeCompare(b.id));
}

/**
 * The running check instance of source `name`. Herald has no API for checks
 * yet (GET /api/v1/checks/:name is to come), so tests reach into the source
 * host; only tests do this.
 */
export function checkInstance(h: TestHerald, name: string): CheckListener {
  const host = (h.herald as unknown as { sources: { running: { name: string; instance: unknown }[] } }).sources;
  const instance = host.running.find((r) => r.name === name)?.instance;
  if (!isCheckListener(instance)) throw new Error(`no running check named ${name}`);
  return instance;
}

/** Resolves after `ms` of real time. */
export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A FakeClock whose sleep also yields a few real milliseconds: virtual
 * intervals still pass at once (a minute per run), but a dozen checks on
 * loopback do not spin the CPU flat out, which would make real timeouts flaky.
 */
export class PacedClock extends FakeClock {
  constructor(
    start?: number,
    private readonly realMs = 3,
  ) {
    super(start);
  }
  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    await super.sleep(ms, signal);
    await pause(this.realMs);
  }
}
