import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DeliveryLine, formatDelivery } from './format.js';

const base: DeliveryLine = {
  id: '01M86HJ2M3QW8B7Y2K5T1N0CZE',
  receiver: 'ops-webhook',
  state: 'succeeded',
  attempts: 2,
  run_at: '2026-11-24T10:27:00.000Z',
  updated_at: '2026-11-24T10:27:07.102Z',
  last_error: null,
  last_status: 200,
};

describe('formatDelivery', () => {
  it('shows next= only where an attempt is still to come', () => {
    assert.equal(formatDelivery(base), '01M86HJ2M3QW8B7Y2K5T1N0CZE  succeeded  ops-webhook      attempts=2  at=2026-11-24T10:27:07.102Z  status=200');
    assert.equal(
      formatDelivery({ ...base, state: 'failed', last_status: 503, last_error: 'HTTP 503' }),
      '01M86HJ2M3QW8B7Y2K5T1N0CZE  failed     ops-webhook      attempts=2  next=2026-11-24T10:27:00.000Z  status=503  error: HTTP 503',
    );
    assert.match(formatDelivery({ ...base, state: 'pending', last_status: null }), /attempts=2 {2}next=2026-11-24T10:27:00\.000Z$/);
    assert.match(formatDelivery({ ...base, state: 'running', last_status: null }), /started=2026-11-24T10:27:07\.102Z$/);
    assert.match(formatDelivery({ ...base, state: 'dead', last_status: 404, last_error: 'HTTP 404' }), /at=\S+ {2}status=404 {2}error: HTTP 404$/);
  });

  it('a suppressed delivery says why it was muted, not an error', () => {
    const line = formatDelivery({ ...base, state: 'suppressed', attempts: 0, last_status: null, last_error: 'silenced by 01M8P3KTWYE22J3NDQTYJ6VF3Z' });
    assert.equal(
      line,
      '01M86HJ2M3QW8B7Y2K5T1N0CZE  suppressed ops-webhook      attempts=0  at=2026-11-24T10:27:07.102Z  reason: silenced by 01M8P3KTWYE22J3NDQTYJ6VF3Z',
    );
  });
});
