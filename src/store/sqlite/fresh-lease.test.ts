import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { tempDir } from '../../../test/helpers/harness.js';
import { openSqliteStore } from './sqlite-dialect.js';

const now = Date.parse('2026-03-01T12:00:00Z');
const event = (id: string) => ({ id, title: id, status: 'firing' as const, labels: {}, received_at: new Date(now).toISOString() });

it('fresh deliveries are inserted leased only when they may run now: due, offered, and first of their key', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'h.db') });
  t.after(() => store.close());
  await store.migrate();
  // An unfinished delivery of key k3 is already stored: a new k3 must wait behind it.
  await store.commitIngest([{ events: [event('E0')], deliveries: [{ id: 'D0', eventId: 'E0', receiver: 'r', runAt: now, orderKey: 'k3' }] }], now);
  const lease = { workerId: 'w1', leaseUntil: now + 60_000, ids: new Set(['D1', 'D2', 'D3', 'D4', 'D5', 'D7']) };
  const [outcome] = await store.commitIngest(
    [
      {
        events: ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7'].map(event),
        deliveries: [
          { id: 'D1', eventId: 'E1', receiver: 'r', runAt: now, orderKey: 'k1' },
          { id: 'D2', eventId: 'E2', receiver: 'r', runAt: now, orderKey: 'k1' }, // second of k1 in the batch
          { id: 'D3', eventId: 'E3', receiver: 'r', runAt: now, orderKey: 'k3' }, // behind D0
          { id: 'D4', eventId: 'E4', receiver: 'r', runAt: now }, // no key
          { id: 'D5', eventId: 'E5', receiver: 'r', runAt: now + 1000 }, // not due yet
          { id: 'D6', eventId: 'E6', receiver: 'r', runAt: now }, // not offered
          { id: 'D7', eventId: 'E7', receiver: 'other', runAt: now, orderKey: 'k1' }, // k1 to another receiver
        ],
      },
    ],
    now,
    lease,
  );
  assert.deepEqual(outcome, { kind: 'committed', ids: ['E1', 'E2', 'E3', 'E4', 'E5', 'E6', 'E7'], leased: ['D1', 'D4', 'D7'] });
  const rows = await store.listDeliveries({ limit: 100 });
  const state = Object.fromEntries(rows.map((r) => [r.id, r.state]));
  assert.deepEqual(state, { D0: 'pending', D1: 'running', D2: 'pending', D3: 'pending', D4: 'running', D5: 'pending', D6: 'pending', D7: 'running' });
  // The leased ones belong to w1: a claim by anyone finds only the waiting ones that may run.
  const claimed = await store.claim('r', 10, 'w2', 60_000, now);
  assert.deepEqual(claimed.map((c) => c.id).sort(), ['D0', 'D6']);
  // A crash hands them back like any lease.
  assert.equal(await store.recoverAbandoned(now), 5);
});
