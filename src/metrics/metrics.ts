import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryMetrics } from '../queue/metrics-port.js';
import { DELIVERY_STATES, type QueueStats, type Store } from '../store/types.js';

/** Herald's Prometheus metrics, on their own registry (no global state). */
export class Metrics implements DeliveryMetrics {
  readonly registry = new Registry();
  private readonly eventsIn: Counter<'source'>;
  private readonly rejected: Counter<'reason'>;
  private readonly sourceRejects: Counter<'source' | 'reason'>;
  private readonly enrichments: Counter<'source' | 'step' | 'outcome'>;
  private readonly deliveries: Counter<'receiver' | 'outcome' | 'reason'>;
  private readonly latency: Histogram<'receiver'>;

  constructor(store: () => Store) {
    collectDefaultMetrics({ register: this.registry, prefix: 'herald_' });
    this.eventsIn = new Counter({
      name: 'herald_events_received_total',
      help: 'Events accepted and committed, by source.',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.rejected = new Counter({
      name: 'herald_ingest_rejected_total',
      help: 'Ingest requests refused, by reason.',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.sourceRejects = new Counter({
      name: 'herald_source_rejected_total',
      help: 'Input refused by a source (bad signature, malformed, too large, store unavailable), by source and reason.',
      labelNames: ['source', 'reason'],
      registers: [this.registry],
    });
    this.enrichments = new Counter({
      name: 'herald_enrichment_total',
      help: 'Enrichment lookups by source, step and outcome (ok, cached, skipped, failed).',
      labelNames: ['source', 'step', 'outcome'],
      registers: [this.registry],
    });
    this.deliveries = new Counter({
      name: 'herald_delivery_attempts_total',
      help: 'Delivery attempts by receiver and outcome (success, retry, dead) and failure reason.',
      labelNames: ['receiver', 'outcome', 'reason'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'herald_delivery_attempt_duration_seconds',
      help: 'Time one delivery attempt took, by receiver.',
      labelNames: ['receiver'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    // Both gauges come from one query per scrape: the first to be collected runs it.
    let pending: Promise<QueueStats> | undefined;
    const stats = () => {
      pending ??= store()
        .stats(Date.now())
        .finally(() => {
          setImmediate(() => {
            pending = undefined;
          });
        });
      return pending;
    };
    new Gauge({
      name: 'herald_queue_depth',
      help: 'Deliveries by state.',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const s = await stats();
        for (const state of DELIVERY_STATES) this.set({ state }, s.byState[state]);
      },
    });
    new Gauge({
      name: 'herald_queue_oldest_pending_age_seconds',
      help: 'Age of the oldest delivery not yet done.',
      registers: [this.registry],
      async collect() {
        this.set((await stats()).oldestPendingAgeMs / 1000);
      },
    });
  }

  /** Events taken in and inputs refused, by source name (the console's sources page). */
  async sourceCounts(): Promise<{ accepted: Map<string, number>; rejected: Map<string, number> }> {
    const sum = (values: { labels: Record<string, string | number>; value: number }[]) => {
      const m = new Map<string, number>();
      for (const v of values) m.set(String(v.labels.source), (m.get(String(v.labels.source)) ?? 0) + v.value);
      return m;
    };
    return { accepted: sum((await this.eventsIn.get()).values), rejected: sum((await this.sourceRejects.get()).values) };
  }

  eventsReceived(source: string, n: number): void {
    this.eventsIn.inc({ source }, n);
  }

  ingestRejected(reason: string): void {
    this.rejected.inc({ reason });
  }

  sourceRejected(source: string, reason: string): void {
    this.sourceRejects.inc({ source, reason });
  }

  enrichment(source: string, step: string, outcome: string): void {
    this.enrichments.inc({ source, step, outcome });
  }

  attempt(receiver: string, outcome: 'success' | 'retry' | 'dead', reason: string, seconds: number): void {
    this.deliveries.inc({ receiver, outcome, reason });
    this.latency.observe({ receiver }, seconds);
  }
}
