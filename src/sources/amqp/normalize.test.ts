import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileMapping, decodeMessage, SourceRejection } from '@herald/sdk';
import { createTemplateEngine } from '../../templates/liquid-engine.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const refusal = (fn: () => unknown, code: string, detail: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof SourceRejection && err.code === code && detail.test(err.message));

describe('mapping a list of alerts', () => {
  it('makes one event per item and refuses a payload without the list', () => {
    const map = compileMapping(
      {
        each: 'alerts',
        title: '{{ item.name }} on {{ item.queue }}: {{ item.value }}',
        status: "{% if item.state == 'ok' %}resolved{% else %}firing{% endif %}",
        key: '{{ item.name }}:{{ item.queue }}',
        labels: { routing_key: '{{ routing_key }}' },
      },
      createTemplateEngine(),
    );
    const events = decodeMessage(fixture('rabbitmq-alert.json'), { maxBytes: 1000, map, vars: { routing_key: 'alerts.rabbit' } });
    assert.deepEqual(
      events.map((e) => [e.title, e.status, e.key, e.labels]),
      [
        ['queue_depth on orders: 15234', 'firing', 'queue_depth:orders', { routing_key: 'alerts.rabbit' }],
        ['consumer_count on mail: 0', 'resolved', 'consumer_count:mail', { routing_key: 'alerts.rabbit' }],
      ],
    );
    refusal(() => decodeMessage(Buffer.from('{"x":1}'), { maxBytes: 1000, map }), 'invalid_payload', /no list at "alerts"/);
  });
});
