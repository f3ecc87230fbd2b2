import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Compile } from 'typebox/compile';
import { parse } from 'yaml';
import { builtinRegistry } from '../plugins/builtins.js';
import { configJsonSchema } from './json-schema.js';
import { parseConfig } from './load.js';
// Registers the http-url and rfc3339 formats the schemas use.
import '../lib/validate.js';

const registry = builtinRegistry();
const schema = configJsonSchema(registry);
const validator = Compile(schema as never);
const valid = (yaml: string) => validator.Check(parse(yaml) ?? {});

describe('configJsonSchema', () => {
  it('accepts herald.example.yaml as written (with its ${VAR:-default}s), and so does the loader', () => {
    const text = readFileSync(new URL('../../herald.example.yaml', import.meta.url), 'utf8');
    const doc = parse(text);
    assert.deepEqual([...validator.Errors(doc)], []);
    assert.ok(parseConfig(text, registry, {}));
    assert.match(text.split('\n')[0] ?? '', /^# yaml-language-server: \$schema=\.\/docs\/herald\.schema\.json$/);
  });

  it('has the top-level sections and one entry shape per receiver and source type', () => {
    const props = schema.properties as Record<string, { items?: { oneOf?: { properties: { type: { const: string } } }[] } }>;
    for (const k of ['server', 'storage', 'auth', 'delivery', 'outbound', 'log', 'plugins', 'routes', 'users', 'schedules', 'silences', 'maintenance'])
      assert.ok(props[k], k);
    assert.deepEqual(
      props.receivers?.items?.oneOf?.map((v) => v.properties.type.const),
      registry.types(),
    );
    assert.deepEqual(
      props.sources?.items?.oneOf?.map((v) => v.properties.type.const),
      registry.sources.types(),
    );
  });

  it('does not require keys that have a default', () => {
    // smtp listen, mqtt qos/clean/session_expiry, websocket reconnect: all defaulted.
    assert.ok(valid('sources: [{name: m, type: smtp, domains: [example.com]}, {name: q, type: mqtt, url: "mqtt://b:1883", topics: [a]}]'));
    assert.ok(valid('routes: [{receivers: [r], policy: {group_by: [host]}}]\nreceivers: [{name: r, type: log}]'));
  });

  it('accepts ${VAR} where a constrained string is expected, since it is expanded at load', () => {
    assert.ok(valid('server: {listen: "${LISTEN}"}\nreceivers: [{name: w, type: webhook, url: "${HOOK_URL}"}]\nlog: {level: "${LEVEL:-info}"}'));
    assert.equal(valid('server: {listen: "no port"}'), false);
    assert.equal(valid('log: {level: loud}'), false);
  });

  it('refuses what the loader refuses by shape: unknown keys and types, missing required fields', () => {
    assert.equal(valid('sever: {}'), false);
    assert.equal(valid('receivers: [{name: w, type: webhook}]'), false);
    assert.equal(valid('receivers: [{name: w, type: nope}]'), false);
    assert.equal(valid('receivers: [{name: w, type: log, retries: 3}]'), false);
    assert.equal(valid('delivery: {timeout: soon}'), false);
  });
});
