import assert from 'node:assert/strict';
import { it } from 'node:test';
import { decodeTime } from 'ulid';
import { idCeiling, idFloor, newId } from './ids.js';

it('ids are unique, sort in creation order within one millisecond, and carry their time', () => {
  const t = Date.parse('2026-05-01T00:00:00Z');
  const ids = Array.from({ length: 50_000 }, () => newId(t));
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort(), ids);
  assert.match(ids[0] as string, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assert.equal(decodeTime(ids[0] as string), t);
  const later = newId(t + 1);
  assert.ok(later > (ids.at(-1) as string));
  assert.ok(idFloor(t) <= (ids[0] as string) && (ids.at(-1) as string) <= idCeiling(t));
  assert.ok(idCeiling(t - 1) < (ids[0] as string));
});
