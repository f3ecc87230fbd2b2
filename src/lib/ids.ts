import { encodeTime, monotonicFactory } from 'ulid';

const factory = monotonicFactory();

/**
 * Sortable ids: lexical order is creation order, even within one
 * millisecond. The time part comes from `now` (Herald's clock), so id ranges
 * stand for time ranges.
 */
export function newId(now: number = Date.now()): string {
  return factory(now);
}

/** The smallest and largest ids that can carry a time; for time filters on the primary key. */
export function idFloor(ms: number): string {
  return `${encodeTime(Math.max(0, ms), 10)}${'0'.repeat(16)}`;
}

export function idCeiling(ms: number): string {
  return `${encodeTime(Math.max(0, ms), 10)}${'Z'.repeat(16)}`;
}
