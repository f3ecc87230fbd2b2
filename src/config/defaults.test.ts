import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@herald/sdk';
import { withDefaults } from './defaults.js';

const schema = Type.Object({
  level: Type.String({ default: 'info' }),
  none: Type.Optional(Type.String()),
  section: Type.Object({ a: Type.Integer({ default: 1 }), b: Type.Optional(Type.Integer()) }, { default: {} }),
  // No default of its own: absent stays absent, present is filled.
  policy: Type.Optional(Type.Object({ wait: Type.String({ default: '0s' }) })),
  list: Type.Optional(Type.Array(Type.Object({ name: Type.String(), ttl: Type.String({ default: '60s' }) }))),
  map: Type.Optional(Type.Record(Type.String(), Type.Object({ on: Type.Boolean({ default: true }) }))),
  tags: Type.Array(Type.String(), { default: ['a'] }),
  extra: Type.Unknown({ default: { list: [1] } }),
});

describe('withDefaults', () => {
  it('fills absent keys at every depth, and only keys that declare a default', () => {
    assert.deepEqual(withDefaults(schema, {}), { level: 'info', section: { a: 1 }, tags: ['a'], extra: { list: [1] } });
  });

  it('keeps given values and descends into given objects, list items and map values', () => {
    const given = { level: 'debug', section: { b: 2 }, policy: {}, list: [{ name: 'x' }, { name: 'y', ttl: '1s' }], map: { k: {}, l: { on: false } } };
    assert.deepEqual(withDefaults(schema, given), {
      level: 'debug',
      section: { a: 1, b: 2 },
      policy: { wait: '0s' },
      list: [
        { name: 'x', ttl: '60s' },
        { name: 'y', ttl: '1s' },
      ],
      map: { k: { on: true }, l: { on: false } },
      tags: ['a'],
      extra: { list: [1] },
    });
    // The input is not changed.
    assert.deepEqual(given.section, { b: 2 });
    assert.deepEqual(given.policy, {});
  });

  it('leaves values of the wrong shape for validation to report', () => {
    assert.deepEqual(withDefaults(schema, { section: 5, list: 'x', level: null }), { section: 5, list: 'x', level: null, tags: ['a'], extra: { list: [1] } });
  });

  it('hands out copies of a default, never the schema’s own value', () => {
    const filled = withDefaults<{ extra: { list: number[] } }>(schema, {});
    filled.extra.list.push(2);
    assert.deepEqual(withDefaults<{ extra: unknown }>(schema, {}).extra, { list: [1] });
  });
});
