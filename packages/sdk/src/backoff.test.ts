import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoff, backoffCap } from './backoff.js';

describe('backoff', () => {
  const policy = { initialMs: 1000, maxMs: 60_000, factor: 2 };

  it('grows the ceiling exponentially from initial up to max', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 50, 5000].map((n) => backoffCap(n, policy)),
      [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000],
    );
    assert.deepEqual(
      [0, 1, 2, 3].map((n) => backoffCap(n, { initialMs: 100, maxMs: 1000, factor: 3 })),
      [100, 300, 900, 1000],
    );
    assert.equal(backoffCap(-3, policy), 1000, 'a negative attempt counts as the first');
  });

  it('uses factor 2 when none is given', () => {
    assert.deepEqual(
      [0, 1, 2].map((n) => backoffCap(n, { initialMs: 500, maxMs: 1500 })),
      [500, 1000, 1500],
    );
  });

  it('draws a full-jitter delay in [0, cap) from the random source', () => {
    assert.equal(
      backoff(0, policy, () => 0),
      0,
    );
    assert.equal(
      backoff(0, policy, () => 0.5),
      500,
    );
    assert.equal(
      backoff(3, policy, () => 0.25),
      2000,
    );
    assert.equal(
      backoff(30, policy, () => 0.999999),
      59999,
    );
    assert.equal(
      backoff(2, policy, () => 7),
      4000,
      'an out-of-range random is clamped',
    );
  });

  it('spreads delays over the whole window (statistically, with Math.random)', () => {
    const samples = Array.from({ length: 4000 }, () => backoff(2, policy));
    assert.ok(samples.every((d) => d >= 0 && d < 4000));
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    assert.ok(mean > 1800 && mean < 2200, `mean ${mean} near cap/2`);
    const quarters = [0, 1, 2, 3].map((q) => samples.filter((d) => Math.floor(d / 1000) === q).length);
    assert.ok(
      quarters.every((n) => n > 800),
      `every quarter of the window is used: ${quarters}`,
    );
  });
});
