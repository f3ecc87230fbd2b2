import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ListenerConnection, ReconnectingListener, type ReconnectingListenerOptions, type RetryInfo } from './listener.js';
import type { Clock, Logger } from './receiver.js';

/** A clock whose sleeps wait until the test advances time past them (or their signal aborts). */
class ManualClock implements Clock {
  t = 1_000_000;
  readonly sleeps: { ms: number; until: number; resolve: () => void }[] = [];
  aborted = 0;
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Error('aborted'));
    return new Promise((resolve, reject) => {
      const entry = { ms, until: this.t + ms, resolve };
      this.sleeps.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          this.aborted++;
          reject(new Error('aborted'));
        },
        { once: true },
      );
    });
  }
  advance(ms: number): void {
    this.t += ms;
    for (const s of this.sleeps) if (s.until <= this.t) s.resolve();
  }
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** Lets pending promise chains run until `check` holds (bounded, so a hang fails instead of blocking). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never: ${what}`);
}

/** A connection the test ends by hand; counts its close() calls. */
class Conn implements ListenerConnection {
  closes = 0;
  end!: (reason?: string) => void;
  readonly closed = new Promise<string | undefined>((resolve) => {
    this.end = resolve;
  });
  async close(): Promise<void> {
    this.closes++;
    this.end('closed by stop');
  }
}

type Step = { fail: string } | { open: Conn } | { pending: Promise<Conn> };

class ScriptedListener extends ReconnectingListener {
  connects = 0;
  readonly retries: RetryInfo[] = [];
  connectedCalls = 0;
  afterStops = 0;
  constructor(
    private readonly steps: Step[],
    opts: Partial<ReconnectingListenerOptions> & { clock: Clock },
    private readonly bad = false,
  ) {
    super({ log: quiet, reconnect: { initialMs: 100, maxMs: 400, factor: 2 }, where: 'bus://broker:1', random: () => 0.5, ...opts });
  }
  protected override prepare(): void {
    if (this.bad) throw new Error('url is not a valid URL');
  }
  protected override async connect(): Promise<ListenerConnection> {
    const step = this.steps[this.connects++];
    if (!step) return new Promise(() => {}); // out of script: an attempt that hangs until the test ends
    if ('fail' in step) throw new Error(step.fail);
    if ('open' in step) return step.open;
    return step.pending;
  }
  protected override onConnected(): void {
    this.connectedCalls++;
  }
  protected override onRetry(info: RetryInfo): void {
    this.retries.push(info);
  }
  protected override afterStop(): void {
    this.afterStops++;
  }
}

describe('ReconnectingListener', () => {
  it('waits backoff() between attempts on the injected clock and resets after a connection', async () => {
    const clock = new ManualClock();
    const conn = new Conn();
    const l = new ScriptedListener([{ fail: 'refused 1' }, { fail: 'refused 2' }, { fail: 'refused 3' }, { fail: 'refused 4' }, { open: conn }], {
      clock,
    });
    await l.start(new AbortController().signal);
    assert.equal(l.connects, 1, 'start resolved after the first attempt');
    for (let i = 1; i < 4; i++) {
      await until(() => clock.sleeps.length === i, `sleep ${i}`);
      clock.advance(clock.sleeps[i - 1]?.ms ?? 0);
    }
    await until(() => clock.sleeps.length === 4, 'fourth sleep');
    // random 0.5 of a ceiling 100, 200, 400, 400 (capped).
    assert.deepEqual(
      clock.sleeps.map((s) => s.ms),
      [50, 100, 200, 200],
    );
    assert.deepEqual(
      l.retries.map((r) => [r.reason, r.attempt, r.capMs, r.wasConnected]),
      [
        ['refused 1', 1, 100, false],
        ['refused 2', 2, 200, false],
        ['refused 3', 3, 400, false],
        ['refused 4', 4, 400, false],
      ],
    );
    clock.advance(200);
    await until(() => l.connectedCalls === 1, 'connected');
    conn.end('broker went away');
    await until(() => clock.sleeps.length === 5, 'sleep after the drop');
    assert.equal(clock.sleeps[4]?.ms, 50, 'a connection that opened starts the backoff over');
    assert.deepEqual(l.retries[4], { reason: 'broker went away', wasConnected: true, attempt: 1, capMs: 100, delayMs: 50 });
    await l.stop();
  });

  it('counts a connection shorter than resetAfterMs as a failed attempt', async () => {
    const clock = new ManualClock();
    const [a, b, c] = [new Conn(), new Conn(), new Conn()];
    const l = new ScriptedListener([{ open: a }, { open: b }, { open: c }], { clock, reconnect: { initialMs: 100, maxMs: 1000, resetAfterMs: 500 } });
    await l.start(new AbortController().signal);
    clock.advance(499);
    a.end('dropped at 499 ms');
    await until(() => clock.sleeps.length === 1, 'first sleep');
    clock.advance(50);
    await until(() => l.connectedCalls === 2, 'second connection');
    clock.advance(499);
    b.end('dropped at 499 ms again');
    await until(() => clock.sleeps.length === 2, 'second sleep');
    clock.advance(100);
    await until(() => l.connectedCalls === 3, 'third connection');
    clock.advance(500);
    c.end('dropped at 500 ms');
    await until(() => clock.sleeps.length === 3, 'third sleep');
    assert.deepEqual(
      l.retries.map((r) => [r.attempt, r.capMs]),
      [
        [1, 100],
        [2, 200],
        [1, 100],
      ],
      'short connections grow the ceiling; one that lasted resetAfterMs starts it over',
    );
    await l.stop();
  });

  it('reports status transitions: connecting, disconnected since the outage began, connected since when', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const conn = new Conn();
    const l = new ScriptedListener([{ fail: 'ECONNREFUSED' }, { fail: 'timeout' }, { open: conn }], { clock, awaitFirstAttempt: false });
    assert.deepEqual(l.status(), { state: 'connecting', since: t0, detail: 'bus://broker:1: not connected yet' });
    await l.start(new AbortController().signal);
    await until(() => clock.sleeps.length === 1, 'first failure');
    assert.deepEqual(l.status(), { state: 'disconnected', since: t0, detail: 'bus://broker:1: ECONNREFUSED' });
    clock.advance(50);
    await until(() => clock.sleeps.length === 2, 'second failure');
    assert.deepEqual(l.status(), { state: 'disconnected', since: t0, detail: 'bus://broker:1: timeout' }, 'the outage keeps its start');
    clock.advance(100);
    await until(() => l.connectedCalls === 1, 'connected');
    const up = clock.now();
    assert.deepEqual(l.status(), { state: 'connected', since: up, detail: 'bus://broker:1' });
    clock.advance(7000);
    conn.end('reset by peer');
    await until(() => clock.sleeps.length === 3, 'drop');
    assert.deepEqual(l.status(), { state: 'disconnected', since: up + 7000, detail: 'bus://broker:1: reset by peer' });
    await l.stop();
  });

  it('stop() during a pending reconnect aborts the wait, connects no more and runs afterStop once', async () => {
    const clock = new ManualClock();
    const l = new ScriptedListener([{ fail: 'refused' }, { fail: 'refused' }], { clock });
    const startSignal = new AbortController();
    await l.start(startSignal.signal);
    await until(() => clock.sleeps.length === 1, 'waiting to retry');
    startSignal.abort();
    await l.stop();
    await l.stop();
    assert.equal(clock.aborted, 1, 'the backoff wait was aborted');
    clock.advance(10_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(l.connects, 1, 'no attempt after stop');
    assert.equal(l.afterStops, 1);
  });

  it('stop() closes the open connection exactly once, however often it is called', async () => {
    const clock = new ManualClock();
    const conn = new Conn();
    const l = new ScriptedListener([{ open: conn }], { clock });
    const startSignal = new AbortController();
    await l.start(startSignal.signal);
    startSignal.abort();
    await Promise.all([l.stop(), l.stop()]);
    assert.equal(conn.closes, 1);
    assert.deepEqual(l.retries, [], 'the end of a connection closed by stop is not retried');
    assert.equal(clock.sleeps.length, 0);
    assert.equal(l.connects, 1);
  });

  it('closes a connection that opens only after stop() began, once, and never reports it connected', async () => {
    const clock = new ManualClock();
    const late = new Conn();
    let open!: (c: Conn) => void;
    const pending = new Promise<Conn>((r) => {
      open = r;
    });
    const l = new ScriptedListener([{ pending }], { clock, awaitFirstAttempt: false });
    await l.start(new AbortController().signal);
    const stopped = l.stop();
    open(late);
    await stopped;
    assert.equal(late.closes, 1);
    assert.equal(l.connectedCalls, 0);
    assert.equal(l.status().state, 'connecting');
  });

  it('start() resolves only once the first attempt has settled', async () => {
    const clock = new ManualClock();
    let open!: (c: Conn) => void;
    const pending = new Promise<Conn>((r) => {
      open = r;
    });
    const l = new ScriptedListener([{ pending }], { clock });
    let started = false;
    const starting = l.start(new AbortController().signal).then(() => {
      started = true;
    });
    await until(() => l.connects === 1, 'the first attempt');
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(started, false, 'still connecting');
    open(new Conn());
    await starting;
    assert.equal(l.status().state, 'connected');
    await l.stop();
  });

  it('start() fails at once when prepare() refuses the config, without connecting', async () => {
    const clock = new ManualClock();
    const l = new ScriptedListener([{ open: new Conn() }], { clock }, true);
    await assert.rejects(l.start(new AbortController().signal), /url is not a valid URL/);
    assert.equal(l.connects, 0);
  });
});
