import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileMapping, decodeMessage } from '@herald/sdk';
import { createTemplateEngine } from '../../templates/liquid-engine.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('mapping a JetStream advisory', () => {
  it('renders the advisory fields and the subject', () => {
    const map = compileMapping(
      {
        title: '{{ payload.consumer }} gave up on {{ payload.stream }} #{{ payload.stream_seq }} after {{ payload.deliveries }} deliveries',
        severity: 'warning',
        key: 'maxdeliver:{{ payload.stream }}:{{ payload.consumer }}',
        labels: { subject: '{{ subject }}' },
      },
      createTemplateEngine(),
    );
    const subject = '$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.ORDERS.billing';
    const [e] = decodeMessage(fixture('nats-advisory.json'), { maxBytes: 1000, map, vars: { subject } });
    assert.deepEqual(
      [e?.title, e?.severity, e?.key, e?.labels],
      ['billing gave up on ORDERS #4242 after 5 deliveries', 'warning', 'maxdeliver:ORDERS:billing', { subject }],
    );
  });
});
