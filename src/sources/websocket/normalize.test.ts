import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { compileMapping, type EventMapping, SourceRejection } from '@herald/sdk';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import { normalizeMessage, parseMessage, sourceDownEvent, sourceUpEvent } from './normalize.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const dockerLines = fixture('docker-events.jsonl').split('\n').filter(Boolean);
const cloudMessages = (JSON.parse(fixture('dockercloud-events.json')) as unknown[]).map((m) => JSON.stringify(m));

/** The Docker events mapping of docs/sources/websocket.md. */
export const DOCKER_MAPPING: EventMapping = {
  filter:
    "{% if payload.Type == 'container' %}{% if payload.Action == 'start' or payload.Action == 'die' or payload.Action == 'oom' or payload.Action contains 'health_status' %}true{% endif %}{% endif %}",
  title:
    "container {{ payload.Actor.Attributes.name }} {{ payload.Action }}{% if payload.Action == 'die' %} (exit code {{ payload.Actor.Attributes.exitCode }}){% endif %}",
  status:
    "{% if payload.Action == 'start' or payload.Action == 'health_status: healthy' %}resolved{% elsif payload.Action == 'die' or payload.Action == 'oom' or payload.Action == 'health_status: unhealthy' %}firing{% else %}info{% endif %}",
  severity:
    "{% if payload.Action == 'oom' %}critical{% elsif payload.Action == 'die' %}error{% elsif payload.Action == 'health_status: unhealthy' %}warning{% else %}info{% endif %}",
  key: 'docker:{{ payload.Actor.Attributes.name }}',
  type: 'docker.{{ payload.Type }}',
  action: '{{ payload.Action }}',
  labels: {
    container: '{{ payload.Actor.Attributes.name }}',
    image: '{{ payload.from }}',
    service: '{{ payload.Actor.Attributes["com.docker.compose.service"] }}',
  },
};

/** The Docker Cloud (Tutum) mapping of docs/sources/websocket.md. */
export const DOCKERCLOUD_MAPPING: EventMapping = {
  filter:
    "{% if payload.type == 'container' or payload.type == 'service' %}{% unless payload.state == 'Starting' or payload.state == 'Stopping' or payload.state == 'Scaling' or payload.state == 'Terminating' or payload.state == 'Pending' or payload.state == 'In progress' %}true{% endunless %}{% endif %}",
  title: 'Docker Cloud {{ payload.type }} {{ payload.uuid | slice: 0, 8 }} is {{ payload.state | downcase }}',
  status: "{% if payload.state == 'Running' %}resolved{% else %}firing{% endif %}",
  severity: "{% if payload.state == 'Running' %}info{% else %}error{% endif %}",
  key: 'dockercloud:{{ payload.resource_uri }}',
  labels: { kind: '{{ payload.type }}', state: '{{ payload.state }}' },
};

describe('websocket message normalization', () => {
  const templates = createTemplateEngine();

  it('maps real Docker engine events: lifecycle and health become firing/resolved, the rest is filtered', () => {
    const map = compileMapping(DOCKER_MAPPING, templates, 'mapping');
    const events = dockerLines.flatMap((line) => normalizeMessage(line, map, 'docker'));
    assert.deepEqual(
      events.map((e) => [e.title, e.status, e.severity, e.key, e.action, e.labels]),
      [
        ['container test start', 'resolved', 'info', 'docker:test', 'start', { container: 'test', image: 'alpine' }],
        [
          'container shop-web-1 health_status: unhealthy',
          'firing',
          'warning',
          'docker:shop-web-1',
          'health_status: unhealthy',
          { container: 'shop-web-1', image: 'nginx:1.25', service: 'web' },
        ],
        ['container shop-web-1 oom', 'firing', 'critical', 'docker:shop-web-1', 'oom', { container: 'shop-web-1', image: 'nginx:1.25', service: 'web' }],
        [
          'container shop-web-1 die (exit code 137)',
          'firing',
          'error',
          'docker:shop-web-1',
          'die',
          { container: 'shop-web-1', image: 'nginx:1.25', service: 'web' },
        ],
        [
          'container shop-web-1 health_status: healthy',
          'resolved',
          'info',
          'docker:shop-web-1',
          'health_status: healthy',
          { container: 'shop-web-1', image: 'nginx:1.25', service: 'web' },
        ],
      ],
    );
    assert.equal(events[0]?.type, 'docker.container');
    const die = events[3]?.data as { Actor?: { Attributes?: { exitCode?: string } }; time?: number } | undefined;
    assert.equal(die?.Actor?.Attributes?.exitCode, '137', 'the whole message is kept as data');
    assert.equal(die?.time, 1629574701);
  });

  it('maps Docker Cloud (Tutum) stream events, skipping transitional states and audit actions', () => {
    const map = compileMapping(DOCKERCLOUD_MAPPING, templates, 'mapping');
    const events = cloudMessages.flatMap((m) => normalizeMessage(m, map, 'tutum'));
    assert.deepEqual(
      events.map((e) => [e.title, e.status, e.severity, e.key]),
      [
        ['Docker Cloud container a5d2ae2c is stopped', 'firing', 'error', 'dockercloud:/api/app/v1/container/a5d2ae2c-4d3a-4d2b-9a83-3c0cb6a0c2c1/'],
        ['Docker Cloud container a5d2ae2c is running', 'resolved', 'info', 'dockercloud:/api/app/v1/container/a5d2ae2c-4d3a-4d2b-9a83-3c0cb6a0c2c1/'],
        ['Docker Cloud service 4d4a9f5c is partly running', 'firing', 'error', 'dockercloud:/api/app/v1/service/4d4a9f5c-8fb6-4a1f-8b0e-0f0e3b8a6a57/'],
      ],
    );
  });

  it('takes Herald events (one or a list) without a mapping and refuses anything else precisely', () => {
    assert.deepEqual(normalizeMessage('{"title":"disk full","status":"firing"}', undefined, 's'), [{ title: 'disk full', status: 'firing' }]);
    assert.equal(normalizeMessage('[{"title":"a"},{"title":"b"}]', undefined, 's').length, 2);
    const cases: [string, string, RegExp][] = [
      ['{"status":', 'invalid_json', /not valid JSON.*starts with "\{\\"status\\":"/],
      ['', 'invalid_payload', /empty/],
      ['   ', 'invalid_payload', /empty/],
      ['hello', 'invalid_json', /not valid JSON/],
      [`{"title":"x","data":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`, 'invalid_json', /^message nests arrays and objects deeper than 64 levels/],
      ['{"text":"no title"}', 'invalid_payload', /message: not a Herald event/],
      ['[{"title":"a"},42]', 'invalid_payload', /\[1\]: not a Herald event/],
      ['"just a string"', 'invalid_payload', /not a Herald event/],
    ];
    for (const [text, code, detail] of cases) {
      assert.throws(
        () => normalizeMessage(text, undefined, 's'),
        (err: unknown) => err instanceof SourceRejection && err.code === code && detail.test(err.message),
        text,
      );
    }
  });

  it('refuses messages a mapping cannot turn into events', () => {
    const map = compileMapping({ each: 'items', title: '{{ item.n }}', severity: '{{ item.s }}' }, templates, 'mapping');
    assert.deepEqual(
      normalizeMessage('{"items":[{"n":"a","s":"error"}]}', map, 's').map((e) => e.title),
      ['a'],
    );
    assert.throws(() => normalizeMessage('{"other":1}', map, 's'), /no list at "items"/);
    assert.throws(
      () => normalizeMessage('{"items":[{"n":"a","s":"urgent"}]}', map, 's'),
      (err: unknown) => err instanceof SourceRejection && err.code === 'invalid_event',
    );
    assert.throws(
      () => normalizeMessage('not json', map, 's'),
      (err: unknown) => err instanceof SourceRejection && err.code === 'invalid_json',
    );
  });

  it('drops __proto__ keys from messages', () => {
    const v = parseMessage('{"__proto__":{"polluted":1},"a":1}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['a']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('describes an outage and its end with one key per source', () => {
    const since = Date.parse('2026-03-01T12:00:00Z');
    const down = sourceDownEvent('docker', 'connect ECONNREFUSED', 'ws://10.0.0.5:2375', since, 4);
    assert.equal(down.title, 'stream docker is down: connect ECONNREFUSED');
    assert.equal(down.status, 'firing');
    assert.equal(down.severity, 'error');
    assert.equal(down.key, 'source-down:docker');
    assert.deepEqual(down.labels, { source_name: 'docker' });
    assert.match(down.text ?? '', /since 2026-03-01T12:00:00.000Z \(4 connection attempts failed\)/);
    const up = sourceUpEvent('docker', 'ws://10.0.0.5:2375', since, since + 95_000);
    assert.equal(up.status, 'resolved');
    assert.equal(up.key, down.key);
    assert.deepEqual(up.labels, down.labels);
    assert.match(up.text ?? '', /after 95 s down/);
  });
});
