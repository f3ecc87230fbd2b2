import { randomFillSync } from 'node:crypto';
import { encodeTime, monotonicFactory, type PRNG } from 'ulid';

const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/**
 * A crypto-backed PRNG over a pooled buffer: ulid asks for one fraction per
 * random digit (16 per id in a new millisecond), and its default PRNG makes
 * one crypto call for each; refilling 4 KiB at once makes it one call per
 * ~250 ids. A byte / 256 picks each of the 32 digits with equal chance.
 */
const pooledPrng: PRNG = () => {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return (pool[poolAt++] as number) / 256;
};

const monotonicUlid = monotonicFactory(pooledPrng);

/**
 * Monotonic ULIDs: lexical order is creation order, even within one
 * millisecond or when `now` goes backwards (the random part of the last id
 * is incremented, under the last time; ulid throws rather than wrap should
 * that ever overflow). The time part comes from `now` (Herald's clock), so id
 * ranges stand for time ranges.
 */
export function newId(now: number = Date.now()): string {
  return monotonicUlid(now);
}

/** The smallest and largest ids that can carry a time; for time filters on the primary key. */
export function idFloor(ms: number): string {
  return `${encodeTime(Math.max(0, ms), 10)}${'0'.repeat(16)}`;
}

export function idCeiling(ms: number): string {
  return `${encodeTime(Math.max(0, ms), 10)}${'Z'.repeat(16)}`;
}
