import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import { tempDir } from '../../../test/helpers/harness.js';
import { openSqliteStore } from './sqlite-dialect.js';

it('a crash hands leased deliveries back: never tried → pending, tried before → failed', async (t) => {
  const path = join(tempDir(t), 'h.db');
  const now = Date.parse('2026-03-01T12:00:00Z');
  const event = (id: string) => ({ id, title: id, status: 'info' as const, labels: {}, received_at: new Date(now).toISOString() });
  const first = openSqliteStore({ path });
  await first.migrate();
  await first.commitIngest(
    [
      {
        events: [event('E1'), event('E2')],
        deliveries: [
          { id: 'D1', eventId: 'E1', receiver: 'r', runAt: now },
          { id: 'D2', eventId: 'E2', receiver: 'r', runAt: now },
        ],
      },
    ],
    now,
  );
  // D2 fails once, then both are claimed; the process "dies" holding the leases.
  const [d1, d2] = await first.claim('r', 2, 'w1', 60_000, now);
  assert.deepEqual([d1?.id, d2?.id], ['D1', 'D2']);
  await first.finish(
    [{ deliveryId: 'D2', workerId: 'w1', try: 1, startedAt: now, durationMs: 1, ok: false, next: { state: 'failed', runAt: now, countsAsAttempt: true } }],
    now,
  );
  assert.equal((await first.claim('r', 1, 'w1', 60_000, now))[0]?.id, 'D2');
  await first.close();

  const second = openSqliteStore({ path });
  assert.equal(await second.recoverAbandoned(now + 1), 2);
  const states = Object.fromEntries((await second.listDeliveries({ limit: 10 })).map((d) => [d.id, d.state]));
  await second.close();
  assert.deepEqual(states, { D1: 'pending', D2: 'failed' });
});
