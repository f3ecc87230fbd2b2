import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createPacer } from './pacer.js';

it('spaces waits by 1/perSecond, honours block(), and aborts', async () => {
  const pacer = createPacer(50); // 20 ms apart
  const times: number[] = [];
  await Promise.all(Array.from({ length: 5 }, () => pacer.wait().then(() => times.push(Date.now()))));
  for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) - (times[i - 1] as number) >= 19, `gap ${i}`);
  pacer.block(150);
  const t0 = Date.now();
  await pacer.wait();
  assert.ok(Date.now() - t0 >= 145, 'blocked until the Retry-After passed');
  pacer.block(10_000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('stop')), 20);
  await assert.rejects(pacer.wait(ac.signal), /stop/);
});
