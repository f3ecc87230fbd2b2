import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSON_MAX_DEPTH, JsonInputError, jsonDepthExceededAt, parseUntrustedJson } from './json.js';

const nested = (levels: number, open = '[', close = ']') => `${open.repeat(levels)}${close.repeat(levels)}`;

describe('parseUntrustedJson', () => {
  it(`accepts ${JSON_MAX_DEPTH} levels and refuses ${JSON_MAX_DEPTH + 1}, naming the limit and where it was passed`, () => {
    assert.equal(jsonDepthExceededAt(nested(JSON_MAX_DEPTH)), -1);
    assert.equal(jsonDepthExceededAt(nested(JSON_MAX_DEPTH + 1)), JSON_MAX_DEPTH);
    assert.deepEqual(parseUntrustedJson(nested(2)), [[]]);
    assert.throws(
      () => parseUntrustedJson(nested(10_000), 'message body'),
      (err: unknown) =>
        err instanceof JsonInputError &&
        err.kind === 'depth' &&
        err.message === `message body nests arrays and objects deeper than 64 levels (level 65 opens at character 64); Herald accepts at most 64`,
    );
    // Objects and arrays count alike.
    const mixed = `${'{"a":['.repeat(33)}${']}'.repeat(33)}`;
    // Each '{"a":[' opens two levels; level 65 is the '{' of the 33rd, at 32 * 6.
    assert.equal(jsonDepthExceededAt(mixed), 192);
    assert.throws(() => parseUntrustedJson(mixed), /deeper than 64 levels/);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ s: `${'['.repeat(500)}"\\${'{'.repeat(500)}`, t: 'x\\"[[[[' });
    assert.equal(jsonDepthExceededAt(text), -1);
    assert.deepEqual(parseUntrustedJson(text), JSON.parse(text));
  });

  it('drops __proto__ keys, also when spelled with \\u escapes', () => {
    const plain = parseUntrustedJson('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(plain), ['a']);
    const escaped = parseUntrustedJson('{"\\u005f_proto__": {"polluted": true}, "b": 2}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(escaped), ['b']);
    assert.equal(Object.getPrototypeOf(escaped), Object.prototype);
  });

  it('says what is wrong with empty and malformed text', () => {
    assert.throws(
      () => parseUntrustedJson('  ', 'request body'),
      (e: unknown) => e instanceof JsonInputError && e.kind === 'empty' && e.message === 'request body is empty',
    );
    assert.throws(
      () => parseUntrustedJson('{"a":', 'request body'),
      (e: unknown) => e instanceof JsonInputError && e.kind === 'syntax' && /^request body is not valid JSON: /.test(e.message),
    );
  });
});
