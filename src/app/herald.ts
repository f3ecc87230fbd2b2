import { hostname } from 'node:os';
import { type Clock, DeliveryError, type HeraldEvent, type HttpClient, type Logger, listenError, SourceRejection } from '@herald/sdk';
import type { FastifyInstance } from 'fastify';
import type { HeraldConfig, ReceiverConfig } from '../config/load.js';
import { toHeraldEvent } from '../core/event.js';
import { notificationPeople } from '../core/people.js';
import { route } from '../core/routing.js';
import { isLoopbackHost } from '../http/auth.js';
import { buildServer, type ReceiverTestResult, type SourceStatusView } from '../http/server.js';
import { systemClock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { makeRedactor } from '../lib/redact.js';
import { Metrics } from '../metrics/metrics.js';
import { createGuardedClient } from '../outbound/guarded-client.js';
import { createGuardedTcp } from '../outbound/guarded-tcp.js';
import { renderDryRun } from '../pipeline/dry-run.js';
import { Ingestor } from '../pipeline/ingestor.js';
import { Dispatcher } from '../queue/dispatcher.js';
import { type ActiveReceiver, DeliveryEngine } from '../queue/engine.js';
import { instantiateReceiver } from '../registry/instantiate.js';
import type { Registry } from '../registry/registry.js';
import { normalizePrometheusAlerts, PayloadError } from '../sources/alertmanager/normalize.js';
import { isCheckListener } from '../sources/checks/index.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { loadConfigAndPlugins } from './load-config.js';
import { SourceHost } from './source-host.js';
import { makeSuppressor } from './suppression.js';

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

export interface HeraldOptions {
  config: HeraldConfig;
  registry: Registry;
  log: Logger;
  clock?: Clock;
  /** Listen on config.server.listen (default true); tests may use inject(). */
  listen?: boolean;
  random?: () => number;
}

interface Built extends ActiveReceiver {
  fingerprint: string;
  close(): Promise<void>;
}

/**
 * Settings a running Herald cannot change: the socket it listens on and its body limit (fixed
 * in the HTTP server), the store it has open, and the logger it was started with. A reload that
 * changes one is refused as a whole, naming them, rather than reporting "reloaded" with the old
 * values still in force.
 */
function restartRequired(now: HeraldConfig, next: HeraldConfig): { key: string; detail: string }[] {
  const maskUrl = (u: string) => u.replace(/\/\/[^@/]*@/, '//***@');
  const keys: [string, string | number, string | number, (v: string | number) => string][] = [
    ['server.listen', now.server.listen, next.server.listen, String],
    ['server.body_limit', now.server.bodyLimit, next.server.bodyLimit, (v) => `${v} bytes`],
    ['storage.url', now.storage.url, next.storage.url, (v) => maskUrl(String(v))],
    ['storage.synchronous', now.storage.synchronous, next.storage.synchronous, String],
    ['log.level', now.log.level, next.log.level, String],
    ['log.format', now.log.format, next.log.format, String],
  ];
  return keys.filter(([, a, b]) => a !== b).map(([key, a, b, show]) => ({ key, detail: `${key}: ${show(a)} → ${show(b)}` }));
}

/** delivery.* keys whose value a reload changes, for the log (they apply at once). */
function changedDeliveryKeys(now: HeraldConfig, next: HeraldConfig): string[] {
  const names: Record<keyof HeraldConfig['delivery'], string> = {
    retryScheduleMs: 'delivery.retry_schedule',
    timeoutMs: 'delivery.timeout',
    concurrency: 'delivery.concurrency',
    maxRetryAfterMs: 'delivery.max_retry_after',
    shutdownTimeoutMs: 'delivery.shutdown_timeout',
    pollIntervalMs: 'delivery.poll_interval',
  };
  return (Object.keys(names) as (keyof HeraldConfig['delivery'])[])
    .filter((k) => JSON.stringify(now.delivery[k]) !== JSON.stringify(next.delivery[k]))
    .map((k) => names[k]);
}

/** Refuses a config that would expose an unauthenticated API beyond loopback. */
export function checkExposure(config: HeraldConfig): void {
  if (config.auth.tokens.length === 0 && !isLoopbackHost(config.server.host)) {
    throw new Error(
      `refusing to listen on ${config.server.listen} without auth tokens: anyone who can reach it could post events and replay deliveries. ` +
        'Add auth.tokens to herald.yaml, or listen on 127.0.0.1.',
    );
  }
}

/**
 * The composition root: the only place that constructs concrete parts and
 * wires them. Start, reload and stop live here.
 */
export class Herald {
  private config: HeraldConfig;
  private readonly store: Store;
  private readonly engine: DeliveryEngine;
  private readonly ingestor: Ingestor;
  private readonly metrics: Metrics;
  private readonly sources: SourceHost;
  private readonly dispatcher: Dispatcher;
  private receivers: Built[] = [];
  readonly server: FastifyInstance;
  private readonly log: Logger;
  private readonly clock: Clock;
  private reloading: Promise<unknown> = Promise.resolve();
  private registry: Registry;
  /** The console's live streams: told about every committed batch of events. */
  private readonly listeners = new Set<(events: HeraldEvent[]) => void>();

  private constructor(o: HeraldOptions) {
    this.config = o.config;
    this.registry = o.registry;
    this.log = o.log;
    this.clock = o.clock ?? systemClock;
    this.store = openStore(o.config.storage);
    this.metrics = new Metrics(() => this.store);
    // delivery.* is read from the current config on every use, so a reload applies it at once
    // (retries scheduled from then on, the next attempt's timeout, the next poll).
    const delivery = () => this.config.delivery;
    this.engine = new DeliveryEngine({
      store: this.store,
      clock: this.clock,
      log: this.log.child({ component: 'delivery' }),
      metrics: this.metrics,
      get policy() {
        return { scheduleMs: delivery().retryScheduleMs, maxRetryAfterMs: delivery().maxRetryAfterMs, jitter: 0.2, maxTries: 1000 };
      },
      get timeoutMs() {
        return delivery().timeoutMs;
      },
      get pollIntervalMs() {
        return delivery().pollIntervalMs;
      },
      workerId: `${hostname()}:${process.pid}:${newId()}`,
      random: o.random,
      people: (event, receiver) => notificationPeople(this.config.routes, this.config.people, event, receiver),
    });
    this.ingestor = new Ingestor({
      store: this.store,
      clock: this.clock,
      routes: () => this.config.routes,
      onCommitted: (requests) => {
        for (const listener of this.listeners) {
          try {
            listener(requests.flatMap((r) => r.events));
          } catch (err) {
            this.log.warn({ err }, 'a live-event listener failed');
          }
        }
      },
      // Fresh deliveries go to the engine from the commit: leased ones start at once, the rest are claimed.
      handOff: this.engine,
    });
    this.dispatcher = new Dispatcher({
      store: this.store,
      clock: this.clock,
      log: this.log.child({ component: 'incidents' }),
      routes: () => this.config.routes,
      get pollIntervalMs() {
        return delivery().pollIntervalMs;
      },
      onQueued: () => this.engine.wake(),
      // Silences, maintenance windows and inhibit rules: muted notifications are recorded as `suppressed`.
      suppress: makeSuppressor(this.store, () => this.config),
      capabilities: (name) => this.config.receivers.find((r) => r.name === name)?.definition.capabilities,
    });
    this.sources = new SourceHost({
      log: this.log.child({ component: 'sources' }),
      clock: this.clock,
      metrics: this.metrics,
      commit: async (events, idempotency) => {
        const outcome = await this.ingestor.submit(this.ingestor.prepare(events, idempotency));
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
        return { ids: outcome.ids, replayed: outcome.kind === 'replayed' };
      },
      outbound: () => ({ allow: this.config.outbound.allow, timeoutMs: this.config.delivery.timeoutMs }),
      // Sources share the receivers' state table under their own prefix; names of the two kinds never collide.
      state: (source) => {
        const scope = `source:${source}`;
        return {
          get: (key) => this.store.getReceiverState(scope, key),
          set: (key, value) => this.store.setReceiverState(scope, key, value, this.clock.now()),
          delete: (key) => this.store.setReceiverState(scope, key, undefined, this.clock.now()),
        };
      },
    });
    this.server = buildServer({
      store: () => this.store,
      clock: this.clock,
      config: () => this.config,
      ingestor: this.ingestor,
      metrics: this.metrics,
      log: this.log.child({ component: 'api' }),
      reload: () => this.reload(),
      wake: () => this.engine.wake(),
      dryRun: (event) => this.dryRun(event),
      receiverTypes: () =>
        this.registry
          .all()
          .map(({ definition: d, origin }) => ({ type: d.type, version: d.version, displayName: d.displayName, docsUrl: d.docsUrl, origin, schema: d.config })),
      httpSource: (name) => this.sources.httpSource(name),
      acknowledgeIncident: (id, by, comment) => this.dispatcher.acknowledge(id, by, comment),
      resolveIncident: async (id, by) => {
        const incident = await this.store.getIncident(id);
        if (!incident) return 'not_found';
        const policy = this.config.routes.find((r) => r.id === incident.route)?.policy;
        if (!(await this.store.resolveIncident(id, this.clock.now(), { groupIntervalMs: policy?.groupIntervalMs ?? 0 }, by))) return 'not_firing';
        void this.dispatcher.tick();
        return 'resolved';
      },
      checks: () => this.sources.instances().flatMap(({ name, instance }) => (isCheckListener(instance) ? [{ name, inspect: () => instance.inspect() }] : [])),
      prometheusAlerts: (body) => {
        try {
          return { events: normalizePrometheusAlerts(body, this.clock.now()) };
        } catch (err) {
          if (err instanceof PayloadError) return { error: err.message };
          throw err;
        }
      },
      emit: (source, events, options) => this.sources.emit(source, events, options),
      emitUnconfigured: (name, events) => this.sources.emitUnconfigured(name, events),
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      testReceiver: (name) => this.testReceiver(name),
      sources: () => this.sourceStatus(),
    });
  }

  static async start(o: HeraldOptions): Promise<Herald> {
    checkExposure(o.config);
    const h = new Herald(o);
    try {
      await h.store.migrate();
      const recovered = await h.store.recoverAbandoned(h.clock.now());
      if (recovered > 0) h.log.warn({ count: recovered }, 'resuming deliveries that were in flight when Herald last stopped');
      h.receivers = h.buildReceivers(o.config.receivers, []);
      h.engine.setReceivers(h.receivers);
      const orphans = await h.store.killOrphans(
        h.receivers.map((r) => r.name),
        h.clock.now(),
      );
      if (orphans > 0) h.log.warn({ count: orphans }, 'dead-lettered queued deliveries for receivers no longer in the config');
      if (o.listen !== false) {
        try {
          await h.server.listen({ host: o.config.server.host, port: o.config.server.port });
        } catch (err) {
          throw listenError(err, 'server.listen', o.config.server.listen);
        }
        if (o.config.auth.tokens.length === 0) h.log.warn('no auth tokens configured: the API is open to anyone on this machine (loopback only)');
      } else {
        await h.server.ready();
      }
      h.engine.start();
      h.dispatcher.start();
      await h.sources.apply(o.config.sources);
      for (const w of o.config.warnings) h.log.warn(`config: ${w}`);
      h.log.info(
        {
          listen: h.address(),
          storage: o.config.storage.url.replace(/\/\/[^@/]*@/, '//***@'),
          receivers: h.receivers.map((r) => r.name),
          sources: h.sources.names(),
        },
        'Herald started',
      );
      return h;
    } catch (err) {
      await h.sources.stop().catch(() => {});
      await h.dispatcher.stop().catch(() => {});
      await h.engine.stop(0).catch(() => {});
      await h.server.close().catch(() => {});
      await h.store.close().catch(() => {});
      throw err;
    }
  }

  address(): string {
    const a = this.server.server.address();
    if (!a || typeof a === 'string') return a ?? '';
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  currentConfig(): HeraldConfig {
    return this.config;
  }

  storeForTests(): Store {
    return this.store;
  }

  /** Builds receivers, reusing unchanged ones so their pools and state survive a reload. */
  private buildReceivers(configs: ReceiverConfig[], previous: Built[]): Built[] {
    const redactGlobal = this.config.secrets;
    const { store, clock } = this;
    return configs.map((rc) => {
      const fingerprint = JSON.stringify([
        rc.type,
        rc.definition.version,
        rc.concurrency,
        rc.config,
        this.config.outbound.allow,
        this.config.delivery.timeoutMs,
      ]);
      const same = previous.find((p) => p.name === rc.name && p.fingerprint === fingerprint);
      if (same) return same;
      const log = this.log.child({ receiver: rc.name, type: rc.type });
      const http = createGuardedClient({
        allow: this.config.outbound.allow,
        timeoutMs: this.config.delivery.timeoutMs,
        connections: Math.max(8, rc.concurrency),
      });
      const instance = instantiateReceiver(rc, log, this.clock);
      const secrets = [...redactGlobal];
      return {
        name: rc.name,
        type: rc.type,
        concurrency: rc.concurrency,
        instance,
        http,
        net: createGuardedTcp({ allow: this.config.outbound.allow, timeoutMs: this.config.delivery.timeoutMs }),
        state: {
          get: (key) => store.getReceiverState(rc.name, key),
          set: (key, value) => store.setReceiverState(rc.name, key, value, clock.now()),
          delete: (key) => store.setReceiverState(rc.name, key, undefined, clock.now()),
        },
        log,
        redact: makeRedactor(secrets),
        fingerprint,
        async close() {
          await instance.close?.();
          await http.close();
        },
      };
    });
  }

  /**
   * Applies a new config without dropping queued or in-flight work. A bad
   * file is refused and the running config stays.
   */
  reload(next?: HeraldConfig, nextRegistry?: Registry): Promise<{ receivers: string[] }> {
    const run = this.reloading.then(async () => {
      const file = this.config.file;
      if (!next && !file) throw new Error('Herald was started without a config file; nothing to reload');
      let config = next;
      let registry = nextRegistry ?? this.registry;
      if (!config) {
        // Plugins are loaded again too: a bumped version is imported fresh.
        const loaded = await loadConfigAndPlugins(file as string);
        config = loaded.config;
        registry = loaded.registry;
      }
      config.file ??= file;
      const restart = restartRequired(this.config, config);
      if (restart.length > 0) {
        throw new Error(
          `${restart.map((c) => c.key).join(', ')} changed; restart Herald to apply ${restart.length === 1 ? 'it' : 'them'} ` +
            `(${restart.map((c) => c.detail).join('; ')}). Nothing was reloaded`,
        );
      }
      checkExposure(config);
      const previous = this.receivers;
      const old = this.config;
      this.config = config;
      let built: Built[];
      try {
        built = this.buildReceivers(config.receivers, previous);
      } catch (err) {
        this.config = old;
        throw err;
      }
      this.registry = registry;
      this.receivers = built;
      this.engine.setReceivers(built);
      // The new config is live from here on; a failure below must not read as "refused".
      let orphans = 0;
      try {
        orphans = await this.store.killOrphans(
          built.map((r) => r.name),
          this.clock.now(),
        );
      } catch (err) {
        this.log.error({ err }, 'reload applied, but dead-lettering deliveries of removed receivers failed; they stay queued');
      }
      try {
        await this.sources.apply(config.sources);
      } catch (err) {
        this.log.error({ err }, 'reload applied to receivers and routes, but a source failed to start');
        throw err;
      }
      const retired = previous.filter((p) => !built.includes(p));
      void this.engine.drained(retired).then(() => Promise.allSettled(retired.map((r) => r.close())));
      const deliveryChanged = changedDeliveryKeys(old, config);
      for (const w of config.warnings) this.log.warn(`config: ${w}`);
      this.log.info(
        { receivers: built.map((r) => r.name), replaced: retired.map((r) => r.name), deadLettered: orphans, delivery: deliveryChanged },
        'configuration reloaded',
      );
      return { receivers: built.map((r) => r.name) };
    });
    this.reloading = run.catch(() => {});
    return run;
  }

  /**
   * What `herald test <receiver>` does, with the running receiver: sends a
   * sample event now through its guarded client and reports the outcome.
   * Nothing is stored; the attempt is not a delivery.
   */
  private async testReceiver(name: string): Promise<'not_found' | ReceiverTestResult> {
    const r = this.receivers.find((x) => x.name === name);
    if (!r) return 'not_found';
    let response: { status: number; body: string } | null = null;
    const http: HttpClient = {
      request: async (req) => {
        const res = await r.http.request(req);
        response = { status: res.status, body: r.redact(res.body.slice(0, 2000)) };
        return res;
      },
    };
    const now = this.clock.now();
    const event = toHeraldEvent(TEST_EVENT, newId(now), now);
    const people = notificationPeople(this.config.routes, this.config.people, event, name);
    const t0 = performance.now();
    const memory = new Map<string, string>();
    try {
      await r.instance.send(
        { id: newId(now), receiver: name, event, people },
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
          clock: this.clock,
          attempt: 1,
          signal: AbortSignal.timeout(this.config.delivery.timeoutMs),
        },
      );
      return { receiver: name, type: r.type, ok: true, duration_ms: Math.round(performance.now() - t0), reason: null, retryable: null, error: null, response };
    } catch (err) {
      const e = err instanceof DeliveryError ? err : undefined;
      return {
        receiver: name,
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

  /** Sources for the console: how each is doing and what it took in or refused. */
  private async sourceStatus(): Promise<SourceStatusView[]> {
    const counts = await this.metrics.sourceCounts();
    return this.sources.instances().map(({ name, type, instance }) => {
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

  private async dryRun(event: HeraldEvent) {
    const names = route(this.config.routes, event).receivers;
    const out = [];
    for (const name of names) {
      const r = this.receivers.find((x) => x.name === name);
      if (!r) continue;
      const people = notificationPeople(this.config.routes, this.config.people, event, name);
      const output = await renderDryRun(r.instance, { id: newId(), receiver: name, event, people }, r.redact);
      out.push({ receiver: name, type: r.type, output });
    }
    return out;
  }

  /** SIGTERM: stop intake, let in-flight attempts finish (bounded), release leases, close. */
  async stop(): Promise<void> {
    this.log.info('stopping: no new events accepted; finishing in-flight deliveries');
    await this.sources.stop();
    await this.server.close();
    await this.dispatcher.stop();
    await this.engine.stop(this.config.delivery.shutdownTimeoutMs);
    await Promise.allSettled(this.receivers.map((r) => r.close()));
    await this.store.close();
    this.log.info('stopped');
  }
}
