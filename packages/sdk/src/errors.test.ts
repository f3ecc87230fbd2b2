import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRetryAfter } from './errors.js';

test('parseRetryAfter: delay-seconds (whole or fractional), HTTP-date, or nothing', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter('1.5', now), 1500, 'a fractional value is seconds, not a date');
  assert.equal(parseRetryAfter('0.0004', now), 1, 'rounded up, never 0 for a positive wait');
  assert.equal(parseRetryAfter('Fri, 04 Dec 2026 12:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Fri, 04 Dec 2026 11:00:00 GMT', now), 0, 'a past date: no wait');
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
  assert.equal(parseRetryAfter('', now), undefined);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});
