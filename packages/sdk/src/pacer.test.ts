import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createPacer } from './pacer.js';

it('spaces requests by 1/perSecond, one at a time, honours block(), and aborts', async () => {
  const pacer = createPacer(50); // 20 ms apart
  const starts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const request = async () => {
    starts.push(Date.now());
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await new Promise((r) => setTimeout(r, 30));
    inFlight--;
  };
  await Promise.all(Array.from({ length: 5 }, () => pacer.run(request)));
  for (let i = 1; i < starts.length; i++) assert.ok((starts[i] as number) - (starts[i - 1] as number) >= 19, `gap ${i}`);
  assert.equal(maxInFlight, 1, 'never two requests in flight');
  // A 429 learned inside one request holds back the next.
  await pacer.run(async () => pacer.block(150));
  const t0 = Date.now();
  await pacer.run(async () => {});
  assert.ok(Date.now() - t0 >= 145, 'blocked until the Retry-After passed');
  await assert.rejects(
    pacer.run(async () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  pacer.block(10_000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('stop')), 20);
  let ran = false;
  await assert.rejects(
    pacer.run(async () => {
      ran = true;
    }, ac.signal),
    /stop/,
  );
  assert.equal(ran, false, 'an aborted turn does not run');
});
