// How many SQL statements one event costs on the hot path — accepted, claimed, sent once,
// recorded — counted with SQLite's own trace. A change that adds statements per delivery fails
// here, not only in a benchmark (docs/delivery.md documents the budget).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReceiverInstance } from '@herald/sdk';
import { systemClock } from '../src/lib/clock.js';
import { createLogger } from '../src/lib/logger.js';
import { Ingestor } from '../src/pipeline/ingestor.js';
import { type ActiveReceiver, DeliveryEngine } from '../src/queue/engine.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-dialect.js';
import { eventually, memoryLog, tempDir } from './helpers/harness.js';

/**
 * Statements per single-event request delivered on the first try (docs/delivery.md): the ingest
 * transaction (BEGIN, INSERT events, INSERT deliveries, COMMIT) inserts the delivery already
 * leased, so no claim runs; the attempt record is one transaction at synchronous=NORMAL (PRAGMA,
 * BEGIN, UPDATE, INSERT attempts, COMMIT, PRAGMA). An event with a key adds one indexed read: is an
 * earlier delivery of that key still unfinished?
 */
const BUDGET = { unkeyed: 10, keyed: 11 };

async function hotPath(t: { after(fn: () => unknown): void }, requests: number, key?: (i: number) => string) {
  const statements: string[] = [];
  let tracing = false;
  const store = openSqliteStore({ path: join(tempDir(t), 'herald.db'), synchronous: 'FULL', trace: (sql) => tracing && statements.push(sql) });
  t.after(() => store.close());
  await store.migrate();
  const { destination } = memoryLog();
  const log = createLogger({ level: 'warn', format: 'json', destination });
  const sent: string[] = [];
  const instance: ReceiverInstance = {
    async send(n) {
      sent.push(n.event.id);
      return { status: 200 };
    },
  };
  const receiver: ActiveReceiver = {
    name: 'sink',
    type: 'webhook',
    concurrency: 8,
    instance,
    http: { request: async () => assert.fail('no HTTP in this test') },
    net: { connect: async () => assert.fail('no TCP in this test') } as unknown as ActiveReceiver['net'],
    state: { get: async () => undefined, set: async () => {}, delete: async () => {} },
    log,
    redact: (s) => s,
  };
  const engine = new DeliveryEngine({
    store,
    clock: systemClock,
    log,
    metrics: { attempt() {} },
    policy: { scheduleMs: [1000], maxRetryAfterMs: 3_600_000, jitter: 0, maxTries: 10 },
    timeoutMs: 5000,
    pollIntervalMs: 60_000,
    workerId: 'test-worker',
  });
  const ingestor = new Ingestor({
    store,
    clock: systemClock,
    routes: () => [{ match: [], receivers: ['sink'], continue: false }] as never,
    onCommitted: () => {},
    handOff: engine,
  });
  engine.setReceivers([receiver]);
  engine.start();
  t.after(() => engine.stop(1000));
  // The claim at start (nothing due yet) is not per delivery.
  await engine.pump();
  tracing = true;
  // One request at a time, each delivered before the next: no batching helps.
  for (let i = 0; i < requests; i++) {
    const outcome = await ingestor.submit(ingestor.prepare([{ title: `event ${i}`, source: 'test', status: 'firing', ...(key ? { key: key(i) } : {}) }]));
    assert.equal(outcome.kind, 'committed');
    await eventually(async () => (await store.listDeliveries({ state: 'succeeded', limit: 1000 })).length === i + 1, 5000, `delivery ${i}`);
  }
  tracing = false;
  assert.equal(sent.length, requests);
  // The polls above are the test's own reads, not the hot path's.
  const own = statements.filter((s) => /^select .* from "deliveries" where "state" = 'succeeded'/i.test(s));
  return statements.filter((s) => !own.includes(s));
}

function assertWithin(statements: string[], deliveries: number, budget: number): void {
  const perDelivery = statements.length / deliveries;
  assert.ok(perDelivery <= budget, `${perDelivery} statements per delivery (budget ${budget}):\n${statements.slice(0, Math.ceil(perDelivery)).join('\n')}`);
  assert.ok(!statements.some((s) => /^UPDATE deliveries SET state = 'running'/i.test(s.trim())), 'a fresh delivery was claimed instead of handed over leased');
}

test('an event with a key costs one indexed read more, still no claim', async (t) => {
  const statements = await hotPath(t, 5, (i) => `host-${i}`);
  assertWithin(statements, 5, BUDGET.keyed);
});

test('one event accepted, delivered and recorded costs at most the documented statements, and acceptance stays durable', async (t) => {
  const statements = await hotPath(t, 5);
  assertWithin(statements, 5, BUDGET.unkeyed);
  // Acceptance is durable: every event insert runs while the connection is at synchronous=FULL
  // (bookkeeping switches to NORMAL for its own transactions and back).
  let level = 'FULL';
  let accepted = 0;
  for (const s of statements) {
    const pragma = /^PRAGMA synchronous\s*=\s*(\w+)/i.exec(s.trim());
    if (pragma) level = (pragma[1] as string).toUpperCase();
    if (/^insert into "events"/i.test(s)) {
      accepted++;
      assert.equal(level, 'FULL', 'an acceptance commit ran with relaxed durability');
    }
  }
  assert.equal(accepted, 5);
});
