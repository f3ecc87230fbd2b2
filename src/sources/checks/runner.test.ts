import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventInput, Logger } from '@herald/sdk';
import { eventually, FakeClock } from '../../../test/helpers/harness.js';
import { type CheckRunner, CheckState, type CommonCheckConfig, createCheck, HISTORY_SIZE, isCheckListener, type Probe, transitionEvent } from './runner.js';

const logs: { level: string; msg?: string }[] = [];
const log: Logger = {
  debug: (_o, msg) => logs.push({ level: 'debug', msg }),
  info: (_o, msg) => logs.push({ level: 'info', msg }),
  warn: (_o, msg) => logs.push({ level: 'warn', msg }),
  error: (_o, msg) => logs.push({ level: 'error', msg }),
  child: () => log,
};

const base: CommonCheckConfig = { interval: '60s', timeout: '10s', failures_before_alert: 2, successes_before_recovery: 1, severity: 'error' };

/** A runner over a scripted probe (true = success) and a recording emit that can be made to fail. */
function scripted(outcomes: boolean[], config: Partial<CommonCheckConfig> = {}, probe?: Probe) {
  const clock = new FakeClock();
  const emitted: EventInput[][] = [];
  const emit = { failing: false };
  let i = 0;
  const runner = createCheck(
    {
      name: 'api',
      log,
      clock,
      emit: async (events: EventInput[]) => {
        if (emit.failing) throw new Error('store unavailable');
        emitted.push(events);
        return { ids: events.map((_e, n) => `id${n}`) };
      },
    } as unknown as Parameters<typeof createCheck>[0],
    'http-check',
    'http',
    { ...base, ...config },
    probe ??
      (async () => {
        const ok = outcomes[Math.min(i, outcomes.length - 1)] as boolean;
        i++;
        return { ok, message: ok ? 'HTTP 200 in 1 ms' : `HTTP 503, expected 2xx (run ${i})` };
      }),
  );
  return { runner, clock, emitted, emit };
}

async function runN(runner: CheckRunner, n: number, signal = new AbortController().signal) {
  for (let k = 0; k < n; k++) await runner.runOnce(signal);
}

describe('CheckState (flapping protection)', () => {
  const walk = (f: number, s: number, seq: string) => {
    const m = new CheckState(f, s);
    return [...seq].map((c) => m.record(c === 'o') ?? '-').join(',');
  };

  it('turns failing after N consecutive failures and recovers after M consecutive successes', () => {
    assert.equal(walk(2, 1, 'oxxxxo'), '-,-,failing,-,-,recovered');
    assert.equal(walk(3, 2, 'xxxoxooo'), '-,-,failing,-,-,-,recovered,-');
    assert.equal(walk(1, 1, 'xoxo'), 'failing,recovered,failing,recovered');
  });

  it('emits nothing while flapping under the thresholds, and nothing for unknown → ok', () => {
    assert.equal(walk(2, 1, 'xoxoxoxo'), '-,-,-,-,-,-,-,-');
    assert.equal(walk(3, 1, 'xxoxxoxxo'), '-,-,-,-,-,-,-,-,-');
    const m = new CheckState(2, 1);
    assert.equal(m.state, 'unknown');
    m.record(true);
    assert.equal(m.state, 'ok');
    m.record(false);
    assert.equal(m.state, 'ok', 'one failure is under failures_before_alert');
    assert.equal(m.consecutiveFailures, 1);
  });

  it('a failing check with successes_before_recovery 2 stays failing through single successes', () => {
    assert.equal(walk(2, 2, 'xxoxoxoo'), '-,failing,-,-,-,-,-,recovered');
  });
});

describe('transitionEvent', () => {
  it('builds the firing and resolved events with the same key', () => {
    const results = [
      { ok: true, latency_ms: 3, message: 'HTTP 200 in 3 ms', at: '2026-03-01T12:00:00.000Z' },
      { ok: false, latency_ms: 4, message: 'HTTP 503, expected 2xx', at: '2026-03-01T12:01:00.000Z' },
      { ok: false, latency_ms: 5, message: 'HTTP 502, expected 2xx', at: '2026-03-01T12:02:00.000Z' },
    ];
    const o = { name: 'api', checkType: 'http', severity: 'critical' as const, url: 'https://api.example.com/health', labels: { team: 'core' } };
    const firing = transitionEvent('failing', o, results, 2, '2026-03-01T12:02:00.000Z');
    assert.deepEqual(firing, {
      title: 'api is failing: HTTP 502, expected 2xx',
      text: '2 consecutive failed http checks, the first at 2026-03-01T12:01:00.000Z. Last: HTTP 502, expected 2xx',
      status: 'firing',
      severity: 'critical',
      key: 'check:api',
      type: 'check',
      labels: { team: 'core', check: 'api', check_type: 'http' },
      url: 'https://api.example.com/health',
      data: { check: 'api', check_type: 'http', state: 'failing', results },
      occurred_at: '2026-03-01T12:02:00.000Z',
    });
    const resolved = transitionEvent('recovered', { ...o, url: undefined }, results.slice(0, 1), 1, '2026-03-01T12:03:00.000Z');
    assert.equal(resolved.title, 'api recovered: HTTP 200 in 3 ms');
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.key, firing.key);
    assert.equal(resolved.url, undefined);
  });
});

describe('CheckRunner', () => {
  it('emits exactly one firing event after failures_before_alert failures and one resolved on recovery', async () => {
    const { runner, emitted } = scripted([true, false, false, false, false, true, true]);
    await runN(runner, 3);
    assert.equal(emitted.length, 1);
    await runN(runner, 2);
    assert.equal(emitted.length, 1, 'nothing more while failing');
    await runN(runner, 2);
    assert.equal(emitted.length, 2);
    const [[firing], [resolved]] = emitted as [[EventInput], [EventInput]];
    assert.equal(firing.status, 'firing');
    assert.equal(firing.title, 'api is failing: HTTP 503, expected 2xx (run 3)');
    assert.equal(resolved.status, 'resolved');
    assert.equal(resolved.key, 'check:api');
    assert.equal(resolved.key, firing.key);
    const state = runner.inspect();
    assert.equal(state.state, 'ok');
    assert.equal(state.consecutive_successes, 2);
    assert.equal(state.history.length, 7);
    assert.equal(state.last_result?.message, 'HTTP 200 in 1 ms');
    assert.ok(isCheckListener(runner));
  });

  it('keeps a transition whose emit failed and stores it on a later run, in order, losing none', async () => {
    const { runner, emitted, emit } = scripted([false, false, false, true, true, true]);
    emit.failing = true;
    await runN(runner, 3);
    assert.equal(runner.inspect().state, 'failing');
    assert.equal(runner.inspect().pending_events, 1);
    await runN(runner, 1); // recovered: the resolved event queues behind the firing one
    assert.equal(runner.inspect().pending_events, 2);
    assert.equal(emitted.length, 0);
    emit.failing = false;
    await runN(runner, 1);
    assert.equal(runner.inspect().pending_events, 0);
    assert.deepEqual(
      emitted.map((batch) => batch.map((e) => e.status)),
      [['firing', 'resolved']],
    );
    assert.match(emitted[0]?.[0]?.title ?? '', /api is failing/);
    assert.equal(emitted[0]?.[0]?.occurred_at, runner.inspect().history[1]?.at, 'occurred_at is the transition time, not the retry time');
    assert.ok(logs.some((l) => l.level === 'warn' && /could not store the check state change/.test(l.msg ?? '')));
  });

  it('keeps the last 100 results', async () => {
    const { runner } = scripted([true]);
    await runN(runner, HISTORY_SIZE + 20);
    const state = runner.inspect();
    assert.equal(state.history.length, HISTORY_SIZE);
    assert.equal(state.state, 'ok');
    assert.equal(state.since, '2026-03-01T12:00:00.000Z');
  });

  it('fails a run that exceeds timeout with a precise reason', async () => {
    const never: Probe = (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('request to x aborted'))));
    const { runner } = scripted([], { timeout: '50ms', failures_before_alert: 1 }, never);
    await runN(runner, 1);
    assert.equal(runner.inspect().last_result?.message, 'timed out after 50ms (request to x aborted)');
    assert.equal(runner.inspect().state, 'failing');
  });

  it('fails a run that succeeds only after timeout', async () => {
    const late: Probe = async () => {
      await new Promise((r) => setTimeout(r, 80));
      return { ok: true, message: 'HTTP 200' };
    };
    const { runner } = scripted([], { timeout: '20ms', failures_before_alert: 1 }, late);
    await runN(runner, 1);
    assert.match(runner.inspect().last_result?.message ?? '', /^took \d+ ms, more than timeout 20ms$/);
    assert.equal(runner.inspect().last_result?.ok, false);
  });

  it('runs at start and every interval on the clock, and stop() ends the loop', async () => {
    const { runner, clock } = scripted([true]);
    const t0 = clock.now();
    await runner.start(new AbortController().signal);
    await eventually(() => runner.runs >= 5, 2000, 'five runs');
    await runner.stop();
    const runs = runner.runs;
    const times = runner.inspect().history.map((r) => Date.parse(r.at) - t0);
    // The virtual clock runs as fast as the machine allows, so the capped history may have moved on:
    // check the spacing, not the absolute times.
    assert.ok(times.length >= 5);
    assert.equal((times[0] as number) % 60_000, 0);
    for (let k = 1; k < times.length; k++) assert.equal((times[k] as number) - (times[k - 1] as number), 60_000, `run ${k}`);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runner.runs, runs, 'no run after stop()');
  });

  it('stops when the start signal aborts', async () => {
    const { runner } = scripted([true]);
    const ac = new AbortController();
    await runner.start(ac.signal);
    await eventually(() => runner.runs >= 2, 2000, 'two runs');
    ac.abort();
    await eventually(async () => {
      const before = runner.runs;
      await new Promise((r) => setTimeout(r, 20));
      return runner.runs === before;
    });
    await runner.stop();
  });
});
