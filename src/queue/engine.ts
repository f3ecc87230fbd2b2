import {
  type Clock,
  DeliveryError,
  type HeraldEvent,
  type HttpClient,
  type Json,
  type Logger,
  type Person,
  type ReceiverInstance,
  type ReceiverState,
  type TcpClient,
} from '@herald/sdk';
import { incidentView } from '../core/incidents.js';
import type { AttemptRecord, ClaimedDelivery, IngestLease, IngestRequest, NewDelivery, Store } from '../store/types.js';
import type { DeliveryMetrics } from './metrics-port.js';
import { nextAfterFailure, type RetryPolicy } from './retry-policy.js';

/** A configured receiver, ready to send. */
export interface ActiveReceiver {
  name: string;
  type: string;
  concurrency: number;
  instance: ReceiverInstance;
  http: HttpClient;
  net: TcpClient;
  /** Durable key-value state of this receiver (by name, so it survives reloads). */
  state: ReceiverState;
  log: Logger;
  /** Masks this receiver's secrets (and Herald's) in errors and excerpts. */
  redact: (text: string) => string;
}

export interface EngineOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  metrics: DeliveryMetrics;
  policy: RetryPolicy;
  timeoutMs: number;
  pollIntervalMs: number;
  /** Identifies this process's leases. */
  workerId: string;
  /** How long a claim is held before another worker may take it over. */
  leaseMs?: number;
  random?: () => number;
  /** The people a notification carries (routes' users, teams, on-call); none when absent. */
  people?: (event: HeraldEvent, receiver: string) => Person[];
}

/** The engine's side of an IngestLease: which receiver each held slot belongs to. */
export interface ReservedLease extends IngestLease {
  readonly receiverOf: ReadonlyMap<string, string>;
}

/** Bytes of a target's answer kept with each attempt. */
export const RESPONSE_EXCERPT_BYTES = 4096;

interface Flight {
  receiver: ActiveReceiver;
  promise: Promise<void>;
  abort: AbortController;
  delivery: ClaimedDelivery;
}

/**
 * Sends due deliveries. Claims in batches per receiver up to its
 * concurrency cap, so one slow receiver only ever holds its own slots, and
 * records attempts in batches (one transaction for many results).
 */
export class DeliveryEngine {
  private receivers = new Map<string, ActiveReceiver>();
  private readonly inFlight = new Map<string, Flight>();
  private readonly busy = new Map<string, number>();
  private pendingRecords: AttemptRecord[] = [];
  private flushing: Promise<void> | undefined;
  private pumping = false;
  private pumpAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Set when stop() aborts sends: those are released, not recorded as failures. */
  private stopping = false;

  /** Options are read on every use (the app passes live getters), so a reload's delivery settings apply at once. */
  constructor(private readonly o: EngineOptions) {}

  private get leaseMs(): number {
    return this.o.leaseMs ?? Math.max(60_000, this.o.timeoutMs * 4);
  }

  /**
   * Events just committed by ingest, kept until each of their deliveries is
   * claimed, so the first attempt needs no read. Bounded; retries read the store.
   */
  private readonly fresh = new Map<string, { event: HeraldEvent; pending: number }>();
  private static readonly FRESH_CAP = 4096;
  private static readonly FRESH_MAX_EVENT_BYTES = 16_384;

  /** Caches events for the claims of their deliveries; true when any delivery is waiting for one. */
  private rememberFresh(events: HeraldEvent[], deliveriesPerEvent: (event: HeraldEvent) => number): boolean {
    let waiting = false;
    for (const event of events) {
      const pending = deliveriesPerEvent(event);
      if (pending > 0) waiting = true;
      // Large events are read back from the store instead: the cache stays small under the heap limit.
      if (pending > 0 && approxSize(event) <= DeliveryEngine.FRESH_MAX_EVENT_BYTES) this.fresh.set(event.id, { event, pending });
    }
    while (this.fresh.size > DeliveryEngine.FRESH_CAP) this.fresh.delete(this.fresh.keys().next().value as string);
    return waiting;
  }

  /** Free slots held by reserve() until the ingest commit they were offered to settles. */
  private readonly reserved = new Map<string, number>();

  /**
   * Holds free slots for fresh deliveries about to be committed, so the store can insert them
   * already leased to this process and they start without a claim (no read, no UPDATE). Slots
   * are taken only as far as a receiver has them free now; undefined when none are.
   */
  reserve(deliveries: readonly NewDelivery[]): ReservedLease | undefined {
    if (!this.running) return undefined;
    const receiverOf = new Map<string, string>();
    for (const d of deliveries) {
      const r = this.receivers.get(d.receiver);
      if (!r || d.suppressed || d.runAt > this.o.clock.now()) continue;
      const held = this.reserved.get(r.name) ?? 0;
      if ((this.busy.get(r.name) ?? 0) + held >= r.concurrency) continue;
      this.reserved.set(r.name, held + 1);
      receiverOf.set(d.id, r.name);
    }
    if (receiverOf.size === 0) return undefined;
    return { workerId: this.o.workerId, leaseUntil: this.o.clock.now() + this.leaseMs, ids: new Set(receiverOf.keys()), receiverOf };
  }

  /**
   * After an ingest commit (none when it failed): frees the slots reserve() held, starts the
   * deliveries the store inserted leased to this process, and keeps the events of the others for
   * their claim — waking the claim loop only if there are such others.
   */
  committed(results: readonly { request: IngestRequest; leased: readonly string[] }[], lease: ReservedLease | undefined): void {
    if (lease) for (const name of lease.receiverOf.values()) this.reserved.set(name, (this.reserved.get(name) ?? 1) - 1);
    const orphaned: string[] = [];
    let waiting = false;
    for (const { request, leased } of results) {
      const mine = new Set(leased);
      const events = new Map(request.events.map((e) => [e.id, e]));
      const others = new Map<string, number>();
      for (const d of request.deliveries) {
        if (!mine.has(d.id)) {
          others.set(d.eventId, (others.get(d.eventId) ?? 0) + 1);
          continue;
        }
        const r = this.receivers.get(d.receiver);
        const event = events.get(d.eventId);
        // Stopped or reconfigured since the reservation: the lease goes back, a claim picks it up.
        if (!this.running || !r || !event) orphaned.push(d.id);
        else this.launch(r, { id: d.id, eventId: d.eventId, receiver: d.receiver, attempts: 0, tries: 0, incidentId: d.incidentId }, event);
      }
      if (this.rememberFresh(request.events, (e) => others.get(e.id) ?? 0)) waiting = true;
    }
    if (orphaned.length > 0) {
      this.o.store
        .release(orphaned, this.o.workerId, this.o.clock.now())
        .catch((err: unknown) => this.o.log.error({ err, count: orphaned.length }, 'handing back fresh deliveries failed; their lease expires'));
    }
    if (waiting) this.wake();
    // Held slots are free again: a receiver they kept from claiming may go on (drained ones are skipped).
    else if (lease) this.schedulePump();
  }

  private readonly takeFresh = (eventId: string): HeraldEvent | undefined => {
    const entry = this.fresh.get(eventId);
    if (!entry) return undefined;
    if (--entry.pending <= 0) this.fresh.delete(eventId);
    return entry.event;
  };

  /** Swaps the receiver set. In-flight sends finish on the instance they started with. */
  setReceivers(receivers: ActiveReceiver[]): ActiveReceiver[] {
    const old = [...this.receivers.values()];
    this.receivers = new Map(receivers.map((r) => [r.name, r]));
    this.wake();
    return old;
  }

  /** Resolves when no send still uses one of these instances. */
  async drained(receivers: ActiveReceiver[]): Promise<void> {
    const set = new Set(receivers);
    await Promise.allSettled([...this.inFlight.values()].filter((f) => set.has(f.receiver)).map((f) => f.promise));
  }

  start(): void {
    this.running = true;
    this.schedulePoll();
    this.wake();
  }

  /**
   * New work may be due (committed, replayed, queued by the dispatcher, a poll): look now rather
   * than at the next poll. Wake-ups within one tick share one claim pass.
   */
  wake(): void {
    this.workGeneration++;
    this.schedulePump();
  }

  /**
   * Bumped by every wake() that may bring new due work. A receiver whose last claim came back
   * short at generation G has nothing more due until the generation moves on, so a freed slot
   * alone does not cost it an empty claim (an UPDATE in its own transaction) after every send.
   */
  private workGeneration = 0;
  private readonly drainedAt = new Map<string, number>();

  private schedulePump(): void {
    if (!this.running || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      if (this.pumping) this.pumpAgain = true;
      else void this.pump();
    });
  }

  private wakeScheduled = false;

  private schedulePoll(): void {
    this.timer = setTimeout(async () => {
      try {
        const n = await this.o.store.reclaimExpired(this.o.clock.now(), [...this.inFlight.keys()]);
        if (n > 0) this.o.log.warn({ count: n }, 'reclaimed deliveries whose lease expired');
      } catch (err) {
        this.o.log.error({ err }, 'reclaiming expired leases failed');
      }
      this.wake();
      if (this.running) this.schedulePoll();
    }, this.o.pollIntervalMs);
    this.timer.unref();
  }

  /** Claims whatever is due for every receiver with free slots and starts sending it. */
  async pump(): Promise<number> {
    this.pumping = true;
    let started = 0;
    try {
      do {
        this.pumpAgain = false;
        for (const r of this.receivers.values()) {
          if (!this.running) break;
          const busy = this.busy.get(r.name) ?? 0;
          const free = r.concurrency - busy;
          // Under load, wait for a few slots and claim them together: one
          // query for many deliveries instead of one per completion.
          if (free <= 0 || (busy > 0 && free < Math.min(16, Math.ceil(r.concurrency / 4)))) continue;
          if (this.drainedAt.get(r.name) === this.workGeneration) continue;
          // Read before the claim: a wake() while it runs moves the generation, so the result cannot mark new work drained.
          const generation = this.workGeneration;
          const claimed = await this.o.store.claim(r.name, free, this.o.workerId, this.leaseMs, this.o.clock.now());
          if (claimed.length < free) this.drainedAt.set(r.name, generation);
          else this.drainedAt.delete(r.name);
          const events = await this.eventsFor(claimed);
          const incidents = claimed.some((d) => d.incidentId) ? await this.incidentsFor(claimed) : undefined;
          for (const d of claimed) {
            const event = events.get(d.eventId);
            if (event) this.launch(r, d, event, d.incidentId ? incidents?.get(d.incidentId) : undefined);
            else this.o.log.error({ delivery: d.id, event: d.eventId }, 'delivery refers to an event that is not stored; skipping it');
          }
          started += claimed.length;
          if (claimed.length === free) this.pumpAgain = true;
        }
      } while (this.pumpAgain && this.running && started < 100_000);
    } catch (err) {
      this.o.log.error({ err }, 'claiming deliveries failed; will retry at the next poll');
    } finally {
      this.pumping = false;
    }
    return started;
  }

  /** Events of claimed deliveries: from the fresh hand-off, else one read for the rest. */
  private async eventsFor(claimed: ClaimedDelivery[]): Promise<Map<string, HeraldEvent>> {
    const events = new Map<string, HeraldEvent>();
    const missing: string[] = [];
    for (const d of claimed) {
      const e = this.takeFresh(d.eventId);
      if (e) events.set(d.eventId, e);
      else if (!events.has(d.eventId)) missing.push(d.eventId);
    }
    if (missing.length > 0) for (const e of await this.o.store.loadEvents(missing)) events.set(e.id, e);
    return events;
  }

  /** The incidents claimed notifications are about, as templates see them (times seen as of now). */
  private async incidentsFor(claimed: ClaimedDelivery[]): Promise<Map<string, Record<string, Json>>> {
    const ids = claimed.flatMap((d) => (d.incidentId ? [d.incidentId] : []));
    return new Map((await this.o.store.loadIncidents(ids)).map((i) => [i.id, incidentView(i)]));
  }

  private launch(r: ActiveReceiver, d: ClaimedDelivery, event: HeraldEvent, incident?: Record<string, Json>): void {
    this.busy.set(r.name, (this.busy.get(r.name) ?? 0) + 1);
    const abort = new AbortController();
    const flight: Flight = { receiver: r, abort, delivery: d, promise: Promise.resolve() };
    flight.promise = this.attempt(r, d, event, abort, incident)
      .then((outcome) => (outcome === 'released' ? this.o.store.release([d.id], this.o.workerId, this.o.clock.now()) : this.record(outcome)))
      .catch((err: unknown) => this.o.log.error({ err, delivery: d.id }, 'recording an attempt failed'))
      .finally(() => {
        this.inFlight.delete(d.id);
        this.busy.set(r.name, (this.busy.get(r.name) ?? 1) - 1);
        // A freed slot: claim more only for receivers that may have more due (see drainedAt).
        this.schedulePump();
      });
    this.inFlight.set(d.id, flight);
  }

  /** One try. `released` when stop() cut it short: that try does not count, the lease goes back. */
  private async attempt(
    r: ActiveReceiver,
    d: ClaimedDelivery,
    event: HeraldEvent,
    abort: AbortController,
    incident?: Record<string, Json>,
  ): Promise<AttemptRecord | 'released'> {
    const startedAt = this.o.clock.now();
    const t0 = performance.now();
    const tryNo = d.tries + 1;
    // One controller per attempt, aborted by its own timer or by stop(); cheaper
    // than composing signals with AbortSignal.any on every send.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new DOMException('attempt timed out', 'TimeoutError'));
    }, this.o.timeoutMs);
    const signal = abort.signal;
    const base = { deliveryId: d.id, workerId: this.o.workerId, try: tryNo, startedAt };
    try {
      const result = await r.instance.send(
        { id: d.id, receiver: r.name, event, people: this.o.people?.(event, r.name) ?? [], ...(incident ? { incident } : {}) },
        { http: r.http, net: r.net, state: r.state, log: r.log, clock: this.o.clock, attempt: tryNo, signal },
      );
      clearTimeout(timer);
      const durationMs = performance.now() - t0;
      this.o.metrics.attempt(r.name, 'success', 'ok', durationMs / 1000);
      return {
        ...base,
        durationMs,
        ok: true,
        status: result?.status,
        response: result?.response === undefined ? undefined : excerpt(r.redact(result.response)),
        next: { state: 'succeeded', countsAsAttempt: true },
      };
    } catch (thrown) {
      clearTimeout(timer);
      if (this.stopping && signal.aborted && !timedOut) return 'released';
      const durationMs = performance.now() - t0;
      const err = toDeliveryError(thrown, signal, timedOut);
      const next = nextAfterFailure(this.o.policy, err, d.attempts, d.tries, this.o.clock.now(), this.o.random);
      const message = r.redact(next.state === 'dead' && next.why ? `${err.message} (${next.why})` : err.message);
      this.o.metrics.attempt(r.name, next.state === 'dead' ? 'dead' : 'retry', err.reason, durationMs / 1000);
      r.log[next.state === 'dead' ? 'error' : 'warn'](
        { delivery: d.id, try: tryNo, reason: err.reason, status: err.status, retryAt: next.runAt && new Date(next.runAt).toISOString() },
        `delivery ${next.state === 'dead' ? 'dead' : 'failed, will retry'}: ${message}`,
      );
      return {
        ...base,
        durationMs,
        ok: false,
        reason: err.reason,
        status: err.status,
        error: message,
        response: err.response === undefined ? undefined : excerpt(r.redact(err.response)),
        next,
      };
    }
  }

  private record(record: AttemptRecord): Promise<void> {
    this.pendingRecords.push(record);
    if (!this.flushing) {
      this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
    }
    return this.flushing;
  }

  /** Writes every pending attempt record in one transaction. */
  private async flush(): Promise<void> {
    const batch = this.pendingRecords;
    this.pendingRecords = [];
    this.flushing = undefined;
    if (batch.length === 0) return;
    try {
      await this.o.store.finish(batch, this.o.clock.now());
    } catch (err) {
      // Leases stay held, so these deliveries are retried once the lease
      // expires (or at the next start): at-least-once, never lost.
      this.o.log.error({ err, count: batch.length }, 'could not record attempts; their deliveries will be retried');
    }
  }

  /**
   * Stops claiming, lets in-flight sends finish for up to `graceMs`, aborts
   * the rest and hands their leases back so a restart resumes them.
   */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    const all = () => Promise.allSettled([...this.inFlight.values()].map((f) => f.promise));
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      all().then(() => false),
      new Promise<boolean>((resolve) => {
        timeout = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timeout);
    if (timedOut) {
      const left = [...this.inFlight.keys()];
      this.o.log.warn({ count: left.length }, 'shutdown grace period over; aborting in-flight deliveries and handing them back');
      this.stopping = true;
      for (const f of this.inFlight.values()) f.abort.abort(new Error('Herald is shutting down'));
      await all();
    }
    await this.flush();
  }
}

/** A cheap upper-bound-ish size, without serialising events that are plainly small. */
function approxSize(event: HeraldEvent): number {
  let size = event.title.length + (event.text?.length ?? 0) + 512;
  for (const [k, v] of Object.entries(event.labels)) size += k.length + v.length;
  if (event.data !== undefined) size += typeof event.data === 'object' && event.data !== null ? JSON.stringify(event.data).length : String(event.data).length;
  return size;
}

function excerpt(text: string): string {
  // At most 3 bytes per UTF-16 unit in UTF-8: short texts need no encoding.
  if (text.length * 3 <= RESPONSE_EXCERPT_BYTES) return text;
  const buf = Buffer.from(text);
  return buf.length <= RESPONSE_EXCERPT_BYTES ? text : buf.subarray(0, RESPONSE_EXCERPT_BYTES).toString('utf8');
}

function toDeliveryError(thrown: unknown, signal: AbortSignal, timedOut: boolean): DeliveryError {
  if (timedOut) return new DeliveryError('attempt timed out', { reason: 'timeout', retryable: true, cause: thrown });
  if (thrown instanceof DeliveryError) return thrown;
  // A plugin with its own copy of the SDK throws a DeliveryError from another module instance.
  const like = thrown as Partial<DeliveryError> | undefined;
  if (like?.name === 'DeliveryError' && typeof like.retryable === 'boolean' && typeof like.reason === 'string') {
    return new DeliveryError(like.message ?? 'delivery failed', {
      reason: like.reason,
      retryable: like.retryable,
      retryAfterMs: like.retryAfterMs,
      status: like.status,
      response: like.response,
    });
  }
  if (signal.aborted) return new DeliveryError('attempt aborted', { reason: 'network', retryable: true, cause: thrown });
  return new DeliveryError((thrown as Error)?.message ?? String(thrown), { reason: 'network', retryable: true, cause: thrown });
}
