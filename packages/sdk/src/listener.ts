import { type BackoffPolicy, backoff, backoffCap } from './backoff.js';
import type { Clock, Logger } from './receiver.js';
import type { ListenerSourceInstance, SourceStatus } from './source.js';

/** One open connection of a {@link ReconnectingListener}. */
export interface ListenerConnection {
  /** Settles when the connection ends by itself, with why; it must never reject. */
  closed: Promise<string | undefined>;
  /** Ends the connection on stop(). Called at most once, and only while `closed` has not settled. */
  close(): Promise<void>;
}

export interface ReconnectPolicy extends BackoffPolicy {
  /**
   * A connection that stayed up this long resets the backoff to its first
   * step; a shorter one counts as a failed attempt. 0 (the default): any
   * connection that opened resets it.
   */
  resetAfterMs?: number;
}

/** What {@link ReconnectingListener.onRetry} is told about the wait ahead. */
export interface RetryInfo {
  reason: string;
  /** The attempt had opened a connection (it dropped), rather than failed to connect. */
  wasConnected: boolean;
  /** Consecutive failed attempts, this one included. */
  attempt: number;
  capMs: number;
  delayMs: number;
}

export interface ReconnectingListenerOptions {
  clock: Clock;
  log: Logger;
  reconnect: ReconnectPolicy;
  /** Where it connects, for status(): `amqp://broker:5672`. No credentials. */
  where: string;
  /** false: start() returns before the first attempt, which runs in the background. Default true: after it. */
  awaitFirstAttempt?: boolean;
  random?: () => number;
}

/**
 * The skeleton every client-side listener source (message buses, streams)
 * shares: connect, notice the connection end, wait `backoff()` on the
 * injected clock, connect again, until stop(). A subclass only speaks its
 * protocol in connect().
 *
 * - start() fails at once if prepare() throws (a config error), and otherwise
 *   resolves after the first attempt, connected or not: a broker that is down
 *   must not keep Herald from starting.
 * - stop() aborts `this.signal` (pass it to connects and sleeps), closes the
 *   open connection exactly once, waits for the loop to end, then runs
 *   afterStop(). Calling it again, or aborting start's signal, waits for the
 *   same end.
 * - status() says `connecting` until the first attempt ends, then `connected`
 *   since when, or `disconnected` since the outage began and why.
 */
export abstract class ReconnectingListener implements ListenerSourceInstance {
  readonly kind = 'listener' as const;
  readonly #abort = new AbortController();
  readonly #random: () => number;
  #current: ListenerConnection | undefined;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #failures = 0;
  #state: SourceStatus;
  /** When the current outage began; undefined while connected. Not connected yet counts as an outage from construction. */
  #outageSince: number | undefined;

  readonly #opts: ReconnectingListenerOptions;

  constructor(opts: ReconnectingListenerOptions) {
    this.#opts = opts;
    this.#random = opts.random ?? Math.random;
    this.#outageSince = opts.clock.now();
    this.#state = { state: 'connecting', since: this.#outageSince, detail: `${opts.where}: not connected yet` };
  }

  /** Aborted by stop(): give it to every connect and wait so they end with the source. */
  protected get signal(): AbortSignal {
    return this.#abort.signal;
  }

  protected get stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Checks and loads what connect() needs; throwing fails start(). */
  protected prepare(): void | Promise<void> {}

  /**
   * Opens one connection and starts consuming. Resolves once it is up (e.g.
   * subscribed, so nothing published after start() is missed); rejects when
   * the attempt fails.
   */
  protected abstract connect(signal: AbortSignal): Promise<ListenerConnection>;

  /** A connection is up (status is already `connected`). */
  protected onConnected(): void {}

  /** An attempt failed or a connection dropped, and the next attempt waits `info.delayMs`. */
  protected onRetry(info: RetryInfo): void {
    this.#opts.log.warn(
      { reason: info.reason, attempt: info.attempt, retry_in_ms: info.delayMs },
      info.wasConnected ? 'connection lost; reconnecting' : 'cannot connect; retrying',
    );
  }

  /** After stop() closed the connection and the loop ended: release what is left. */
  protected afterStop(): void | Promise<void> {}

  /** The source's own view of an outage that began before this process started (durable state). */
  protected disconnectedSince(since: number): void {
    if (this.#outageSince === undefined) return;
    this.#outageSince = since;
    this.#state = { ...this.#state, since };
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    await this.prepare();
    let attempted!: () => void;
    const first = new Promise<void>((resolve) => {
      attempted = resolve;
    });
    this.#loop = this.#run(attempted);
    if (this.#opts.awaitFirstAttempt !== false) await first;
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  status(): SourceStatus {
    return { ...this.#state };
  }

  async #shutdown(): Promise<void> {
    this.#abort.abort();
    const open = this.#current;
    this.#current = undefined;
    await open?.close().catch((err: Error) => this.#opts.log.debug({ err: err.message }, 'closing the connection'));
    await this.#loop;
    await this.afterStop();
  }

  async #run(attempted: () => void): Promise<void> {
    while (!this.stopped) {
      let reason: string;
      let openedAt: number | undefined;
      try {
        const conn = await this.connect(this.#abort.signal);
        if (this.stopped) {
          // stop() ran while connecting and found nothing to close: this one is ours to close.
          await conn.close().catch(() => {});
          break;
        }
        this.#current = conn;
        openedAt = this.#opts.clock.now();
        this.#outageSince = undefined;
        this.#state = { state: 'connected', since: openedAt, detail: this.#opts.where };
        this.onConnected();
        attempted();
        reason = (await conn.closed) ?? 'connection closed';
        this.#current = undefined;
      } catch (err) {
        reason = (err as Error).message;
      }
      attempted();
      if (this.stopped) break;
      if (openedAt !== undefined && this.#opts.clock.now() - openedAt >= (this.#opts.reconnect.resetAfterMs ?? 0)) this.#failures = 0;
      // An outage keeps the time it began across failed attempts.
      this.#outageSince ??= this.#opts.clock.now();
      this.#state = { state: 'disconnected', since: this.#outageSince, detail: `${this.#opts.where}: ${reason}` };
      const capMs = backoffCap(this.#failures, this.#opts.reconnect);
      const delayMs = backoff(this.#failures, this.#opts.reconnect, this.#random);
      this.#failures++;
      this.onRetry({ reason, wasConnected: openedAt !== undefined, attempt: this.#failures, capMs, delayMs });
      try {
        await this.#opts.clock.sleep(delayMs, this.#abort.signal);
      } catch {
        break;
      }
    }
  }
}
