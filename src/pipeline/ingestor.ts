import type { Clock, EventInput, HeraldEvent } from '@herald/sdk';
import { toHeraldEvent } from '../core/event.js';
import { type IncidentSignal, incidentSignal } from '../core/incidents.js';
import { type Route, route } from '../core/routing.js';
import { newId } from '../lib/ids.js';
import type { IngestLease, IngestOutcome, IngestRequest, NewDelivery, Store } from '../store/types.js';

export interface IngestorOptions {
  store: Store;
  clock: Clock;
  routes: () => readonly Route[];
  /** Called after each commit (the console's live stream). */
  onCommitted: (requests: IngestRequest[]) => void;
  /** The delivery engine: takes fresh deliveries it has slots for straight from the commit. */
  handOff?: FreshHandOff;
}

/**
 * Where committed deliveries go without a poll: `reserve` holds free slots for some of them before
 * the commit (the store inserts those leased to this process), `committed` gets every committed
 * request with the ids the store did lease — or none when the commit failed — and frees the hold.
 */
export interface FreshHandOff<L extends IngestLease = IngestLease> {
  reserve(deliveries: readonly NewDelivery[]): L | undefined;
  committed(results: readonly { request: IngestRequest; leased: readonly string[] }[], lease: L | undefined): void;
}

interface Waiting {
  request: IngestRequest;
  resolve: (o: IngestOutcome) => void;
  reject: (e: unknown) => void;
}

/**
 * Turns validated inputs into stored events plus one delivery per routed
 * receiver. Requests arriving together share one transaction (group commit):
 * durability costs one fsync per batch, not per request, and each caller is
 * answered only once its rows are committed.
 */
export class Ingestor {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly o: IngestorOptions) {}

  /** Stamps and routes inputs; pure apart from ids and the clock. */
  prepare(inputs: EventInput[], idempotency?: IngestRequest['idempotency']): IngestRequest {
    const now = this.o.clock.now();
    const routes = this.o.routes();
    const events: HeraldEvent[] = [];
    const deliveries: NewDelivery[] = [];
    const incidents: IncidentSignal[] = [];
    for (const input of inputs) {
      const event = toHeraldEvent(input, newId(now), now);
      events.push(event);
      // Routes with a policy hand keyed firing/resolved events to their incident; the rest deliver now.
      const direct: string[] = [];
      for (const index of route(routes, event).matchedRoutes) {
        const r = routes[index] as Route;
        const signal = r.policy ? incidentSignal(event, r.id ?? `routes[${index}]`, r.policy) : undefined;
        if (signal) incidents.push(signal);
        else for (const name of r.receivers) if (!direct.includes(name)) direct.push(name);
      }
      for (const receiver of direct) deliveries.push({ id: newId(now), eventId: event.id, receiver, runAt: now, orderKey: event.key });
    }
    return { events, deliveries, idempotency, ...(incidents.length > 0 ? { incidents } : {}) };
  }

  /** Resolves once the request is durably committed (or replayed/conflicting). */
  submit(request: IngestRequest): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    const handOff = this.o.handOff;
    const lease = handOff?.reserve(batch.flatMap((w) => w.request.deliveries));
    let outcomes: IngestOutcome[];
    try {
      outcomes = await this.o.store.commitIngest(
        batch.map((w) => w.request),
        this.o.clock.now(),
        lease,
      );
    } catch (err) {
      handOff?.committed([], lease);
      for (const w of batch) w.reject(err);
      return;
    }
    const committed: { request: IngestRequest; leased: readonly string[] }[] = [];
    batch.forEach((w, i) => {
      const outcome = outcomes[i] as IngestOutcome;
      if (outcome.kind === 'committed') committed.push({ request: w.request, leased: outcome.leased ?? [] });
    });
    // Deliveries start before the callers hear back: their rows are durable either way.
    handOff?.committed(committed, lease);
    for (const [i, w] of batch.entries()) w.resolve(outcomes[i] as IngestOutcome);
    if (committed.length > 0) {
      try {
        this.o.onCommitted(committed.map((c) => c.request));
      } catch {
        // onCommitted's listeners guard themselves; nothing here may undo a commit already answered.
      }
    }
  }
}
