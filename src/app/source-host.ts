import { createHash } from 'node:crypto';
import {
  type Clock,
  type EmitOptions,
  type EventInput,
  type HttpSourceInstance,
  type Logger,
  type SourceCapabilities,
  type SourceContext,
  type SourceInstance,
  SourceRejection,
  sourceRejectionCode,
} from '@herald/sdk';
import type { SourceConfig } from '../config/load.js';
import { fitEvent, stampSourceType, validateEvent } from '../core/event.js';
import type { SourceStatusView } from '../http/routes/console-api.js';
import type { Metrics } from '../metrics/metrics.js';
import { createGuardedClient } from '../outbound/guarded-client.js';
import { createGuardedTcp } from '../outbound/guarded-tcp.js';
import { Enricher } from '../pipeline/enrich.js';
import type { IngestOutcome } from '../store/types.js';
import { createTemplateEngine } from '../templates/liquid-engine.js';

const templates = createTemplateEngine();

export interface SourceHostOptions {
  log: Logger;
  clock: Clock;
  metrics: Metrics;
  /** Commits events (group commit); resolves once durable. `idempotency` drops a redelivery. */
  commit(events: EventInput[], idempotency?: { key: string; fingerprint: string }): Promise<IngestOutcome>;
  outbound(): { allow: string[]; timeoutMs: number };
  /** Durable key/value state for one source. */
  state(source: string): SourceContext['state'];
}

interface Running {
  name: string;
  type: string;
  fingerprint: string;
  capabilities: SourceCapabilities;
  instance: SourceInstance;
  enricher: Enricher;
  abort: AbortController;
  close(): Promise<void>;
}

/**
 * Runs the configured sources: builds each with its context, starts listener
 * sources, answers lookups for HTTP sources, and swaps changed ones on reload.
 */
export class SourceHost {
  private running: Running[] = [];

  constructor(private readonly o: SourceHostOptions) {}

  /** The HTTP source answering at /hooks/<name>, if one is configured. */
  httpSource(name: string): HttpSourceInstance | undefined {
    const r = this.running.find((s) => s.name === name);
    return r?.instance.kind === 'http' ? r.instance : undefined;
  }

  names(): string[] {
    return this.running.map((r) => r.name);
  }

  /** The running health checks (sources whose type declares `capabilities.check`), for the checks API. */
  checks(): { name: string; inspect(): object }[] {
    const checks: { name: string; inspect(): object }[] = [];
    for (const { name, capabilities, instance } of this.running) {
      // start() refused a check type whose instance cannot be inspected, so this skips only non-checks.
      if (capabilities.check && instance.kind === 'listener' && instance.inspect) checks.push({ name, inspect: instance.inspect.bind(instance) });
    }
    return checks;
  }

  /** Each running source: how it is doing (what a listener reports) and what it took in or refused. */
  async status(): Promise<SourceStatusView[]> {
    const counts = await this.o.metrics.sourceCounts();
    return this.running.map(({ name, type, instance }) => {
      const reported = instance.kind === 'listener' ? instance.status?.() : undefined;
      return {
        name,
        type,
        kind: instance.kind,
        state: instance.kind === 'http' ? 'receiving' : (reported?.state ?? 'running'),
        since: reported?.since === undefined ? null : new Date(reported.since).toISOString(),
        detail: instance.kind === 'http' ? `POST /hooks/${name}` : (reported?.detail ?? null),
        accepted: counts.accepted.get(name) ?? 0,
        rejected: counts.rejected.get(name) ?? 0,
      };
    });
  }

  /**
   * Brings the running set in line with `configs`: unchanged sources keep
   * running, changed or removed ones stop first (a listener frees its port),
   * then new ones start. A source that fails to start fails the whole apply.
   */
  async apply(configs: SourceConfig[]): Promise<void> {
    const outbound = this.o.outbound();
    const fingerprints = new Map(configs.map((c) => [c.name, JSON.stringify([c.type, c.definition.version, c.config, c.enrich, outbound])]));
    const keep = this.running.filter((r) => fingerprints.get(r.name) === r.fingerprint);
    const retire = this.running.filter((r) => !keep.includes(r));
    await Promise.allSettled(retire.map((r) => r.close()));
    this.running = keep;
    for (const c of configs) {
      if (keep.some((r) => r.name === c.name)) continue;
      const started = await this.start(c, fingerprints.get(c.name) as string);
      this.running.push(started);
    }
  }

  private async start(c: SourceConfig, fingerprint: string): Promise<Running> {
    const log = this.o.log.child({ source: c.name, type: c.type });
    const { allow, timeoutMs } = this.o.outbound();
    const http = createGuardedClient({ allow, timeoutMs, connections: 8, maxResponseBytes: 256 * 1024 });
    const enricher = new Enricher(c.enrich, templates, {
      http,
      log,
      now: () => this.o.clock.now(),
      record: (step, outcome) => this.o.metrics.enrichment(c.name, step, outcome),
    });
    const net = createGuardedTcp({ allow, timeoutMs });
    const ctx: SourceContext = {
      name: c.name,
      log,
      clock: this.o.clock,
      http,
      net,
      templates,
      state: this.o.state(c.name),
      emit: (events, options) => this.commitFrom({ name: c.name, type: c.type, enricher }, events, options ?? {}),
      rejected: (reason, detail) => {
        this.o.metrics.sourceRejected(c.name, reason);
        log.warn({ reason, code: sourceRejectionCode(reason), detail }, 'input refused');
      },
    };
    let instance: SourceInstance;
    try {
      instance = c.definition.create(c.config, ctx);
    } catch (err) {
      await http.close();
      throw new Error(`source "${c.name}" (${c.type}): ${(err as Error).message}`, { cause: err });
    }
    const capabilities = c.definition.capabilities ?? {};
    if (capabilities.check && (instance.kind !== 'listener' || typeof instance.inspect !== 'function')) {
      // A plugin's broken promise is found at start, not as a 500 from the checks API later.
      await http.close();
      throw new Error(`source "${c.name}" (${c.type}): the type declares capabilities.check, but its instance is not a listener with inspect()`);
    }
    const abort = new AbortController();
    if (instance.kind === 'listener') {
      try {
        await instance.start(abort.signal);
      } catch (err) {
        abort.abort();
        await instance.stop().catch(() => {});
        await http.close();
        throw new Error(`source "${c.name}" (${c.type}) failed to start: ${(err as Error).message}`, { cause: err });
      }
      log.info('source started');
    }
    return {
      name: c.name,
      type: c.type,
      fingerprint,
      capabilities,
      instance,
      enricher,
      abort,
      async close() {
        abort.abort();
        if (instance.kind === 'listener') await instance.stop();
        await http.close();
      },
    };
  }

  /**
   * Commits what an HTTP source mapped from a request to `/hooks/<name>`.
   * A source removed by a reload while the request was in flight is refused
   * (404) rather than stored under a name no longer configured.
   */
  async emit(
    source: string,
    events: EventInput[],
    options: { deliveryId?: string; fingerprint?: string } = {},
  ): Promise<{ ids: string[]; replayed?: boolean }> {
    const r = this.running.find((x) => x.name === source);
    if (!r) throw new SourceRejection(404, 'not_found', `no source named "${source}" is running (removed by a reload?)`);
    return this.commitFrom(r, events, options);
  }

  /**
   * Commits events that arrive through an API endpoint rather than a
   * configured source (Prometheus' `POST /api/v2/alerts`): `source` and
   * `source_type` are `name`, and no source's enrichment applies, even one
   * that happens to share the name.
   */
  emitUnconfigured(name: string, events: EventInput[]): Promise<{ ids: string[]; replayed?: boolean }> {
    return this.commitFrom({ name, type: name }, events, {});
  }

  /** Fits, validates, stamps and commits what a source produced; refuses what cannot be stored. */
  private async commitFrom(
    from: { name: string; type: string; enricher?: Enricher },
    events: EventInput[],
    options: EmitOptions & { fingerprint?: string },
  ): Promise<{ ids: string[]; replayed?: boolean }> {
    if (events.length === 0) return { ids: [] };
    const { enricher } = from;
    // Enrichment looks up what the sender sent (its resource_uri, its ids); events Herald makes about
    // the source itself carry none of that, and a lookup for them only fails, delays the page and
    // sends the lookup's credentials to whatever the empty template renders to.
    const enrich = enricher && !enricher.empty && options.origin !== 'herald';
    const enriched = enrich ? await Promise.all(events.map((e) => enricher.enrich(e))) : events;
    const fitted = enriched.map((e) => fitEvent({ ...e, source: e.source ?? from.name }));
    const issues = fitted.flatMap((e, i) => validateEvent(e, events.length > 1 ? `[${i}]` : ''));
    if (issues.length > 0) {
      throw new SourceRejection(422, 'invalid_event', `the mapped event is invalid: ${issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; ')}`);
    }
    const stamped = fitted.map((e) => stampSourceType(e, from.type));
    const idempotency = options.deliveryId
      ? {
          key: `source:${from.name}:${options.deliveryId}`,
          // Over the input as the source produced it: enrichment results may differ between redeliveries.
          fingerprint: options.fingerprint ?? createHash('sha256').update(JSON.stringify(events)).digest('hex'),
        }
      : undefined;
    const outcome = await this.o.commit(stamped, idempotency);
    // A conflict is the same delivery id with other content: a sender bug or a forgery that passed
    // verification. The first version stands, as for the API's Idempotency-Key, and the sender is
    // told so (422; a bus message is rejected) instead of a success that silently dropped its payload.
    if (outcome.kind === 'conflict') {
      throw new SourceRejection(
        422,
        'idempotency_conflict',
        "the sender's delivery id was already used with a different body in the last 24 hours; nothing was stored, the first delivery stands",
      );
    }
    const result = { ids: outcome.ids, replayed: outcome.kind === 'replayed' };
    if (!result.replayed) for (const [name, n] of countBy(stamped.map((e) => e.source as string))) this.o.metrics.eventsReceived(name, n);
    return result;
  }

  async stop(): Promise<void> {
    const all = this.running;
    this.running = [];
    await Promise.allSettled(all.map((r) => r.close()));
  }
}

function countBy(values: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}
