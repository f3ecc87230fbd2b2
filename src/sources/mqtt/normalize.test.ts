import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileMapping, decodeMessage } from '@herald/sdk';
import { createTemplateEngine } from '../../templates/liquid-engine.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

describe('mapping a Zigbee2MQTT sensor message', () => {
  it('renders title, status and labels from the payload and the topic', () => {
    const map = compileMapping(
      {
        title: '{{ topic_levels[1] }} temperature {{ payload.temperature }}°C',
        status: '{% if payload.temperature > 30 %}firing{% else %}resolved{% endif %}',
        key: 'temperature:{{ topic_levels[1] }}',
        labels: { battery: '{{ payload.battery }}' },
      },
      createTemplateEngine(),
    );
    const topic = 'zigbee2mqtt/kitchen_sensor';
    const [e] = decodeMessage(fixture('zigbee2mqtt-sensor.json'), { maxBytes: 1000, map, vars: { topic, topic_levels: topic.split('/') } });
    assert.deepEqual(
      [e?.title, e?.status, e?.key, e?.labels],
      ['kitchen_sensor temperature 31.5°C', 'firing', 'temperature:kitchen_sensor', { battery: '97' }],
    );
  });
});
