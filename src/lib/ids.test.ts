import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeTime } from 'ulid';
import { idCeiling, idFloor, newId } from './ids.js';

// newId keeps process-wide monotonic state, so each test uses times past any used before it.
let base = Date.parse('2026-05-01T00:00:00Z');
const freshTime = () => (base += 3_600_000);

it('ids are unique, strictly increasing within one millisecond, and carry their time', () => {
  const t = freshTime();
  const ids = Array.from({ length: 50_000 }, () => newId(t));
  for (let i = 1; i < ids.length; i++) assert.ok((ids[i - 1] as string) < (ids[i] as string), `id ${i} not after id ${i - 1}`);
  assert.match(ids[0] as string, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  for (const id of [ids[0], ids.at(-1)]) assert.equal(decodeTime(id as string), t);
  const later = newId(t + 1);
  assert.ok(later > (ids.at(-1) as string));
  assert.equal(decodeTime(later), t + 1);
  assert.ok(idFloor(t) <= (ids[0] as string) && (ids.at(-1) as string) <= idCeiling(t));
  assert.ok(idCeiling(t - 1) < (ids[0] as string));
});

it('a clock going backwards keeps ids increasing, under the latest time seen', () => {
  const t = freshTime();
  const before = newId(t);
  const back = [newId(t - 5_000), newId(t - 1), newId(t)];
  assert.deepEqual([before, ...back].toSorted(), [before, ...back]);
  assert.equal(new Set([before, ...back]).size, 4);
  for (const id of back) assert.equal(decodeTime(id), t);
  // Once the clock passes the latest time again, ids carry their own time.
  assert.equal(decodeTime(newId(t + 1)), t + 1);
});

it('each new millisecond draws fresh randomness', () => {
  const t = freshTime();
  const randoms = Array.from({ length: 1_000 }, (_, i) => newId(t + i).slice(10));
  assert.equal(new Set(randoms).size, randoms.length);
});
