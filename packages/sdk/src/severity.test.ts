import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectiveSeverity, highestSeverity } from './severity.js';

test('effectiveSeverity: firing without severity is error, resolved is ok, info stays info', () => {
  const cases: [Parameters<typeof effectiveSeverity>[0], string][] = [
    [{ status: 'firing' }, 'error'],
    [{ status: 'firing', severity: 'warning' }, 'warning'],
    [{ status: 'firing', severity: 'critical' }, 'critical'],
    [{ status: 'resolved', severity: 'critical' }, 'ok'],
    [{ status: 'resolved' }, 'ok'],
    [{ status: 'info' }, 'info'],
    [{ status: 'info', severity: 'warning' }, 'warning'],
  ];
  for (const [event, want] of cases) assert.equal(effectiveSeverity(event), want, JSON.stringify(event));
});

test('highestSeverity picks the worst and ignores missing ones', () => {
  assert.equal(highestSeverity(['warning', undefined, 'critical', 'error']), 'critical');
  assert.equal(highestSeverity(['info', 'warning']), 'warning');
  assert.equal(highestSeverity([undefined]), undefined);
  assert.equal(highestSeverity([]), undefined);
});
