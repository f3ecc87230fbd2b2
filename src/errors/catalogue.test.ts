import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SOURCE_REJECTIONS, SourceRejection, sourceRejectionCode } from '@herald/sdk';
import { AREAS, apiErrorCode, CATALOGUE, isErrorCode } from './catalogue.js';
import { renderErrorDocs } from './docs.js';
import { RETIRED_CODES } from './retired.js';

describe('error catalogue', () => {
  it('no code appears twice and none reuses a retired one', () => {
    const seen = new Set<string>();
    for (const { code } of CATALOGUE) {
      assert.ok(!seen.has(code), `${code} appears twice`);
      seen.add(code);
    }
    const retired = new Set<string>();
    for (const { code } of RETIRED_CODES) {
      assert.ok(!retired.has(code), `retired ${code} is listed twice`);
      retired.add(code);
      assert.ok(!seen.has(code), `${code} is retired and must not be used again`);
    }
  });

  it('every code is HERALD_ERR_<its area>_<NAME>, with a meaning and what to do', () => {
    const areas = new Set(AREAS.map((a) => a.area));
    for (const e of CATALOGUE) {
      assert.ok(areas.has(e.area), `${e.code}: unknown area ${e.area}`);
      assert.match(e.code, new RegExp(`^HERALD_ERR_${e.area}_[A-Z0-9]+(_[A-Z0-9]+)*$`), e.code);
      assert.ok(e.meaning.trim() !== '' && e.action.trim() !== '', `${e.code}: meaning and action are required`);
    }
  });

  it('each API slug names one entry, so an answer has exactly one code', () => {
    const slugs = new Map<string, string>();
    for (const e of CATALOGUE) {
      if (!e.http) continue;
      assert.ok(!slugs.has(e.http.error), `${e.http.error}: both ${slugs.get(e.http.error)} and ${e.code}`);
      slugs.set(e.http.error, e.code);
      assert.ok(e.http.status.length > 0 && e.http.status.every((s) => s >= 400 && s < 600), `${e.code}: statuses ${e.http.status}`);
    }
    assert.equal(apiErrorCode('not_found'), 'HERALD_ERR_API_NOT_FOUND');
    assert.equal(apiErrorCode('store_unavailable'), 'HERALD_ERR_STORE_UNAVAILABLE');
  });

  it('keeps the plugin codes PluginError has always had', () => {
    const plugin = CATALOGUE.filter((e) => e.area === 'PLUGIN').map((e) => e.code);
    assert.deepEqual(plugin.sort(), [
      'HERALD_ERR_PLUGIN_API_VERSION',
      'HERALD_ERR_PLUGIN_DUPLICATE_TYPE',
      'HERALD_ERR_PLUGIN_IMPORT',
      'HERALD_ERR_PLUGIN_INVALID_DEFINITION',
      'HERALD_ERR_PLUGIN_NOT_FOUND',
      'HERALD_ERR_PLUGIN_NO_MANIFEST',
      'HERALD_ERR_PLUGIN_SDK_RANGE',
    ]);
  });

  it('folds in the SDK’s source rejections, each slug naming one code; an unknown slug gets the generic one', () => {
    const owner = new Map<string, string>();
    for (const e of SOURCE_REJECTIONS) {
      assert.ok(isErrorCode(e.code), `${e.code} is not in the catalogue`);
      for (const s of e.slugs) {
        assert.ok(!owner.has(s), `slug ${s}: both ${owner.get(s)} and ${e.code}`);
        owner.set(s, e.code);
      }
    }
    assert.equal(new SourceRejection(401, 'invalid_signature', 'bad').heraldCode, 'HERALD_ERR_SOURCE_INVALID_SIGNATURE');
    assert.equal(sourceRejectionCode('too_large'), 'HERALD_ERR_SOURCE_PAYLOAD_TOO_LARGE');
    assert.equal(sourceRejectionCode('a_plugin_reason'), 'HERALD_ERR_SOURCE_REJECTED');
  });

  it('docs/errors.md is the page generated from the catalogue (npm run docs:errors)', () => {
    const page = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    assert.equal(page, renderErrorDocs(), 'docs/errors.md is stale; run: npm run docs:errors');
    for (const e of CATALOGUE) assert.ok(page.includes(`\`${e.code}\``), `${e.code} is missing from docs/errors.md`);
  });
});
