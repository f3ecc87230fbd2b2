import {
  type Clock,
  Duration,
  type EventInput,
  type ListenerSourceInstance,
  type Logger,
  parseDuration,
  type SourceContext,
  type Static,
  Type,
} from '@herald/sdk';

/** Results kept per check for `inspect()` and the API. */
export const HISTORY_SIZE = 100;
/** Results attached to a firing or resolved event's `data.results`. */
const EVENT_RESULTS = 10;

/** Config fields every check type shares (spread into each type's schema). */
export const commonCheckProperties = {
  interval: Duration({ default: '60s', description: 'time between the starts of two runs; the first run is at start' }),
  timeout: Duration({ default: '10s', description: 'longest one run may take; slower counts as a failure' }),
  failures_before_alert: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 2,
    description: 'consecutive failures that turn the check failing (one firing event)',
  }),
  successes_before_recovery: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 1,
    description: 'consecutive successes that turn a failing check ok again (one resolved event)',
  }),
  severity: Type.Enum(['critical', 'error', 'warning', 'info'], { default: 'error', description: 'severity of the firing event' }),
  labels: Type.Optional(
    Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.\\-/]{0,127}$' }), Type.String(), {
      description: 'extra labels on the events (for routing), beside `check` and `check_type`',
    }),
  ),
};

const commonSchema = Type.Object(commonCheckProperties);
export type CommonCheckConfig = Static<typeof commonSchema>;

/** Config rules every check type shares. */
export function validateCommon(c: CommonCheckConfig): { path: string; message: string }[] {
  if (parseDuration(c.timeout) > parseDuration(c.interval)) {
    return [{ path: 'timeout', message: `timeout ${c.timeout} is longer than interval ${c.interval}; runs would overlap` }];
  }
  return [];
}

/** One run's outcome (a type, not an interface, so it is assignable to event `data` JSON). */
export type CheckResult = {
  ok: boolean;
  /** Wall time the run took, in milliseconds (real time, not the injectable clock). */
  latency_ms: number;
  /** Why it failed, or what succeeded (e.g. `HTTP 200 in 12 ms`). */
  message: string;
  /** RFC 3339 time the run started (the injectable clock). */
  at: string;
};

export type CheckStateName = 'ok' | 'failing' | 'unknown';

/** What `inspect()` returns: everything an API needs to show one check. */
export interface CheckInspection {
  /** The source name. */
  name: string;
  /** The source type: `http-check`, `tcp-check` or `dns-check`. */
  type: string;
  state: CheckStateName;
  consecutive_failures: number;
  consecutive_successes: number;
  last_result: CheckResult | null;
  /** Oldest first, at most HISTORY_SIZE. */
  history: CheckResult[];
  /** Transitions (firing/resolved events) not yet stored because the store was unavailable. */
  pending_events: number;
  /** RFC 3339 time of the last change of `state`, null while unknown. */
  since: string | null;
}

/** A listener source instance that can also report its check's state. */
export interface CheckListener extends ListenerSourceInstance {
  inspect(): CheckInspection;
}

/** True for instances made by the check sources (`http-check`, `tcp-check`, `dns-check`). */
export function isCheckListener(instance: unknown): instance is CheckListener {
  return (
    typeof instance === 'object' &&
    instance !== null &&
    (instance as { kind?: unknown }).kind === 'listener' &&
    typeof (instance as { inspect?: unknown }).inspect === 'function'
  );
}

export type Transition = 'failing' | 'recovered';

/**
 * The pure state machine with flapping protection. `unknown` until the first
 * conclusive streak; `failures` consecutive failures turn it `failing`
 * (transition `failing`), then `successes` consecutive successes turn it `ok`
 * again (transition `recovered`). Reaching `ok` from `unknown` is no transition:
 * nothing was ever reported.
 */
export class CheckState {
  state: CheckStateName = 'unknown';
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;

  constructor(
    private readonly failures: number,
    private readonly successes: number,
  ) {}

  /** Continues from a state announced before a restart (a failure whose recovery is still owed). */
  resume(state: 'failing'): void {
    this.state = state;
  }

  record(ok: boolean): Transition | undefined {
    if (ok) {
      this.consecutiveSuccesses++;
      this.consecutiveFailures = 0;
      if (this.state !== 'ok' && this.consecutiveSuccesses >= this.successes) {
        const was = this.state;
        this.state = 'ok';
        return was === 'failing' ? 'recovered' : undefined;
      }
      return undefined;
    }
    this.consecutiveFailures++;
    this.consecutiveSuccesses = 0;
    if (this.state !== 'failing' && this.consecutiveFailures >= this.failures) {
      this.state = 'failing';
      return 'failing';
    }
    return undefined;
  }
}

/** Outcome a probe reports; the runner adds latency and time. */
export interface ProbeOutcome {
  ok: boolean;
  message: string;
}

/** One run of a check. Must honour `signal` (stop or timeout). May throw: that is a failure. */
export type Probe = (signal: AbortSignal, timeoutMs: number) => Promise<ProbeOutcome>;

export interface CheckRunnerOptions {
  name: string;
  /** Source type, e.g. `http-check`. */
  type: string;
  /** Short type for the `check_type` label, e.g. `http`. */
  checkType: string;
  config: CommonCheckConfig;
  /** Put on the events (http checks). */
  url?: string;
  probe: Probe;
  clock: Clock;
  log: Logger;
  emit: SourceContext['emit'];
  /** Durable: remembers an announced failure across restarts, so its recovery is announced too. */
  state?: SourceContext['state'];
}

/** Builds the event for a transition. Pure; exported for tests. */
export function transitionEvent(
  transition: Transition,
  o: { name: string; checkType: string; severity: EventInput['severity']; url?: string; labels?: Record<string, string> },
  results: CheckResult[],
  consecutive: number,
  at: string,
): EventInput {
  const last = results[results.length - 1];
  const reason = last?.message ?? 'no result';
  const firing = transition === 'failing';
  return {
    title: firing ? `${o.name} is failing: ${reason}` : `${o.name} recovered: ${reason}`,
    text: firing
      ? `${consecutive} consecutive failed ${o.checkType} checks, the first at ${results[results.length - consecutive]?.at ?? at}. Last: ${reason}`
      : `${consecutive} consecutive successful ${o.checkType} checks. Last: ${reason}`,
    status: firing ? 'firing' : 'resolved',
    severity: firing ? o.severity : 'info',
    key: `check:${o.name}`,
    type: 'check',
    labels: { ...o.labels, check: o.name, check_type: o.checkType },
    ...(o.url ? { url: o.url } : {}),
    data: { check: o.name, check_type: o.checkType, state: firing ? 'failing' : 'ok', results: results.slice(-EVENT_RESULTS) },
    occurred_at: at,
  };
}

/**
 * Runs a probe every `interval` (the first run at start), keeps the last
 * HISTORY_SIZE results, and emits one firing event when the check turns
 * failing and one resolved event when it recovers. A transition whose emit
 * fails (store unavailable) stays queued and is retried after the next run,
 * in order, so none is lost while Herald runs.
 */
export class CheckRunner implements CheckListener {
  readonly kind = 'listener' as const;
  private readonly machine: CheckState;
  private readonly history: CheckResult[] = [];
  private readonly outbox: EventInput[] = [];
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private since: string | null = null;
  private abort?: AbortController;
  private loop?: Promise<void>;
  /** Runs completed (for tests and logs). */
  runs = 0;

  constructor(private readonly o: CheckRunnerOptions) {
    this.machine = new CheckState(o.config.failures_before_alert, o.config.successes_before_recovery);
    this.intervalMs = parseDuration(o.config.interval);
    this.timeoutMs = parseDuration(o.config.timeout);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.loop) return;
    const abort = new AbortController();
    this.abort = abort;
    const onOuterAbort = () => abort.abort();
    if (signal.aborted) abort.abort();
    else signal.addEventListener('abort', onOuterAbort, { once: true });
    this.loop = this.run(abort.signal).finally(() => signal.removeEventListener('abort', onOuterAbort));
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    if (this.outbox.length > 0) {
      this.o.log.warn({ pending: this.outbox.length }, 'check stopped with state changes not yet stored (store unavailable); they are dropped');
    }
  }

  inspect(): CheckInspection {
    const last = this.history[this.history.length - 1];
    return {
      name: this.o.name,
      type: this.o.type,
      state: this.machine.state,
      consecutive_failures: this.machine.consecutiveFailures,
      consecutive_successes: this.machine.consecutiveSuccesses,
      last_result: last ? { ...last } : null,
      history: this.history.map((r) => ({ ...r })),
      pending_events: this.outbox.length,
      since: this.since,
    };
  }

  private async run(signal: AbortSignal): Promise<void> {
    try {
      if ((await this.o.state?.get('state')) === 'failing') this.machine.resume('failing');
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, 'could not read the stored check state; starting as unknown');
    }
    while (!signal.aborted) {
      const startedAt = this.o.clock.now();
      await this.runOnce(signal);
      if (signal.aborted) break;
      const wait = Math.max(0, startedAt + this.intervalMs - this.o.clock.now());
      try {
        await this.o.clock.sleep(wait, signal);
      } catch (err) {
        if (signal.aborted) break;
        this.o.log.error({ err }, 'check clock failed; check stopped');
        break;
      }
    }
  }

  /** One run: probe, record, transition, flush pending events. Never throws. */
  async runOnce(signal: AbortSignal): Promise<void> {
    const at = new Date(this.o.clock.now()).toISOString();
    const t0 = performance.now();
    // A ref'd timer (unlike AbortSignal.timeout's), so a run in progress keeps the process alive.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`timed out after ${this.o.config.timeout}`, 'TimeoutError')), this.timeoutMs);
    const runSignal = AbortSignal.any([signal, timeout.signal]);
    let outcome: ProbeOutcome;
    try {
      outcome = await this.o.probe(runSignal, this.timeoutMs);
    } catch (err) {
      outcome = { ok: false, message: errorMessage(err) };
    } finally {
      clearTimeout(timer);
    }
    // A run cut short by stop() says nothing about the target.
    if (signal.aborted) return;
    const latency = Math.round(performance.now() - t0);
    if (timeout.signal.aborted) {
      // Over the timeout is a failure even if the probe ignored the signal and succeeded late.
      outcome = outcome.ok
        ? { ok: false, message: `took ${latency} ms, more than timeout ${this.o.config.timeout}` }
        : { ok: false, message: timeoutMessage(outcome.message, this.o.config.timeout) };
    }
    const result: CheckResult = { ok: outcome.ok, latency_ms: latency, message: outcome.message, at };
    this.runs++;
    this.history.push(result);
    if (this.history.length > HISTORY_SIZE) this.history.splice(0, this.history.length - HISTORY_SIZE);
    const transition = this.machine.record(result.ok);
    if (this.machine.state !== 'unknown' && this.since === null) this.since = at;
    if (transition) {
      this.since = at;
      const consecutive = transition === 'failing' ? this.machine.consecutiveFailures : this.machine.consecutiveSuccesses;
      this.o.log.info({ state: this.machine.state, reason: result.message }, transition === 'failing' ? 'check is failing' : 'check recovered');
      this.outbox.push(
        transitionEvent(
          transition,
          {
            name: this.o.name,
            checkType: this.o.checkType,
            severity: this.o.config.severity as EventInput['severity'],
            url: this.o.url,
            labels: this.o.config.labels,
          },
          this.history,
          consecutive,
          at,
        ),
      );
    }
    await this.flush();
  }

  /** Emits queued transitions in one commit, oldest first; on failure keeps them for the next run. */
  private async flush(): Promise<void> {
    if (this.outbox.length === 0) return;
    const batch = this.outbox.slice();
    try {
      // A check's state change is Herald's own finding, not something a sender sent: never enriched.
      await this.o.emit(batch, { origin: 'herald' });
      this.outbox.splice(0, batch.length);
      const announced = batch.at(-1)?.status === 'firing' ? 'failing' : 'ok';
      await this.o.state?.set('state', announced).catch((err: unknown) => this.o.log.warn({ err: errorMessage(err) }, 'could not store the check state'));
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err), pending: batch.length }, 'could not store the check state change; retrying after the next run');
    }
  }
}

/** Says a run hit `timeout`, keeping what the probe reported: `request to x timed out after 10s`. */
export function timeoutMessage(message: string, timeout: string): string {
  if (/timed out$/.test(message)) return `${message} after ${timeout}`;
  if (/timed? ?out/i.test(message)) return message;
  return `timed out after ${timeout} (${message})`;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** Creates the runner for a check source; the common part of every `create()`. */
export function createCheck(ctx: SourceContext, type: string, checkType: string, config: CommonCheckConfig, probe: Probe, url?: string): CheckRunner {
  return new CheckRunner({ name: ctx.name, type, checkType, config, url, probe, clock: ctx.clock, log: ctx.log, emit: ctx.emit, state: ctx.state });
}
