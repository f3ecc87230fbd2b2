import { hostname } from 'node:os';
import { type Clock, type HeraldEvent, type Logger, listenError } from '@herald/sdk';
import type { FastifyInstance } from 'fastify';
import { changedDeliveryKeys, restartRequired } from '../config/changes.js';
import type { HeraldConfig, ReceiverConfig } from '../config/load.js';
import { notificationPeople } from '../core/people.js';
import { checkExposure } from '../http/auth.js';
import { buildServer } from '../http/server.js';
import { systemClock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { makeRedactor } from '../lib/redact.js';
import { Metrics } from '../metrics/metrics.js';
import { createGuardedClient } from '../outbound/guarded-client.js';
import { createGuardedTcp } from '../outbound/guarded-tcp.js';
import { CommittedFeed } from '../pipeline/committed.js';
import { dryRunEvent } from '../pipeline/dry-run.js';
import { Ingestor } from '../pipeline/ingestor.js';
import { Dispatcher } from '../queue/dispatcher.js';
import { type ActiveReceiver, DeliveryEngine } from '../queue/engine.js';
import { sendTestNotification } from '../queue/receiver-test.js';
import { instantiateReceiver } from '../registry/instantiate.js';
import type { Registry } from '../registry/registry.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/types.js';
import { loadConfigAndPlugins } from './load-config.js';
import { SourceHost } from './source-host.js';
import { makeSuppressor } from './suppression.js';

// `herald check-config` imports it from here (src/cli/main.ts); it lives with the API's auth.
export { checkExposure } from '../http/auth.js';

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
  private readonly committed: CommittedFeed;

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
      people: (event, receiver) => this.people(event, receiver),
    });
    this.committed = new CommittedFeed({ log: this.log });
    this.ingestor = new Ingestor({
      store: this.store,
      clock: this.clock,
      routes: () => this.config.routes,
      // The console's live streams; the engine gets fresh deliveries through handOff.
      onCommitted: (requests) => this.committed.committed(requests),
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
      commit: (events, idempotency) => this.ingestor.submit(this.ingestor.prepare(events, idempotency)),
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
    const store = () => this.store;
    const log = this.log.child({ component: 'api' });
    const dryRun = (event: HeraldEvent) =>
      dryRunEvent(event, { routes: this.config.routes, receiver: (name) => this.receiver(name), people: (e, receiver) => this.people(e, receiver) });
    const endpoints = () => this.registry.sources.all().flatMap(({ definition }) => definition.capabilities?.endpoints ?? []);
    this.server = buildServer(
      { clock: this.clock, log, bodyLimit: o.config.server.bodyLimit, tokens: () => this.config.auth.tokens, metrics: this.metrics },
      {
        system: { store, metrics: this.metrics },
        events: { store, ingestor: this.ingestor, metrics: this.metrics },
        deliveries: { store, clock: this.clock, wake: () => this.engine.wake() },
        admin: {
          clock: this.clock,
          routes: () => this.config.routes,
          dryRun,
          reload: () => this.reload(),
          receiverTypes: () => this.registry.all(),
        },
        hooks: {
          httpSource: (name) => this.sources.httpSource(name),
          bodyLimit: o.config.server.bodyLimit,
          metrics: this.metrics,
          emit: (source, events, options) => this.sources.emit(source, events, options),
        },
        sourceEndpoints: {
          endpoints,
          clock: this.clock,
          metrics: this.metrics,
          emitUnconfigured: (name, events) => this.sources.emitUnconfigured(name, events),
        },
        incidents: {
          store,
          clock: this.clock,
          log,
          acknowledgeIncident: (id, by, comment) => this.dispatcher.acknowledge(id, by, comment),
          resolveIncident: (id, by) => this.dispatcher.resolve(id, by),
        },
        silences: { store, clock: this.clock, log, configSilences: () => this.config.alerting.silences },
        checks: { checks: () => this.sources.checks() },
        consoleApi: {
          store,
          clock: this.clock,
          log,
          config: () => this.config,
          subscribe: (listener) => this.committed.subscribe(listener),
          dryRun,
          httpSource: (name) => this.sources.httpSource(name),
          endpoints,
          testReceiver: async (name) => {
            const r = this.receiver(name);
            if (!r) return 'not_found';
            return sendTestNotification(r, { clock: this.clock, people: (e, receiver) => this.people(e, receiver), timeoutMs: this.config.delivery.timeoutMs });
          },
          sources: () => this.sources.status(),
        },
      },
    );
  }

  /** The running receiver of this name. */
  private receiver(name: string): Built | undefined {
    return this.receivers.find((r) => r.name === name);
  }

  /** The people a notification of `event` to `receiver` carries, from the current config. */
  private people(event: HeraldEvent, receiver: string) {
    return notificationPeople(this.config.routes, this.config.people, event, receiver);
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
