import { randomFillSync } from 'node:crypto';
import { encodeTime } from 'ulid';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const pool = Buffer.alloc(4096);
let poolAt = pool.length;
let lastTime = -1;
let lastRandom: number[] = [];

/** 16 base32 digits of randomness from a pooled buffer (one crypto call per ~400 ids). */
function freshRandom(): number[] {
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const out: number[] = [];
  // 10 bytes = 80 bits → 16 digits of 5 bits.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | (pool[poolAt++] as number);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push((acc >> bits) & 31);
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/**
 * Monotonic ULIDs: lexical order is creation order, even within one
 * millisecond (the random part is incremented). The time part comes from
 * `now` (Herald's clock), so id ranges stand for time ranges.
 */
export function newId(now: number = Date.now()): string {
  if (now <= lastTime) {
    for (let i = 15; i >= 0; i--) {
      if ((lastRandom[i] as number) < 31) {
        lastRandom[i] = (lastRandom[i] as number) + 1;
        break;
      }
      lastRandom[i] = 0;
    }
  } else {
    lastTime = now;
    lastRandom = freshRandom();
  }
  let random = '';
  for (const d of lastRandom) random += ALPHABET[d];
  return encodeTime(lastTime, 10) + random;
}

/** The smallest and largest ids that can carry a time; for time filters on the primary key. */
export function idFloor(ms: number): string {
  return `${encodeTime(Math.max(0, ms), 10)}${'0'.repeat(16)}`;
}

export function idCeiling(ms: number): string {
  return `${encodeTime(Math.max(0, ms), 10)}${'Z'.repeat(16)}`;
}
