import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Duration, defineReceiver, HttpUrl, Secret, Type } from '@herald/sdk';
import { builtinReceivers } from '../receivers/index.js';
import { CONFIG_TABLE_END, CONFIG_TABLE_START, configTable, configTableBlock, withConfigTable } from './docs-table.js';

const sample = defineReceiver({
  type: 'sample',
  version: '1.0.0',
  displayName: 'Sample',
  config: Type.Object(
    {
      url: HttpUrl({ description: 'where to send' }),
      token: Type.Optional(Secret({ description: 'API token' })),
      mode: Type.Optional(Type.Enum(['a', 'b'], { default: 'a', description: 'a | b, pick one' })),
      port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 25, description: 'TCP port' })),
      tags: Type.Optional(Type.Array(Type.String(), { minItems: 1, description: 'extra tags' })),
      headers: Type.Optional(Type.Record(Type.String(), Type.String(), { secret: true, description: 'extra headers' })),
      timeout: Type.Optional(Duration({ default: '5s', description: 'per request' })),
      title_template: Type.Optional(Type.String({ description: 'LiquidJS template for the\ntitle' })),
      verbose: Type.Optional(Type.Boolean({ default: false })),
    },
    { additionalProperties: false },
  ),
  create: () => ({ send: async () => undefined }),
});

describe('configTable', () => {
  it('renders the top-level fields of a schema as a markdown table', () => {
    assert.equal(
      configTable(sample),
      [
        '| field | type | required | default | secret | meaning |',
        '|---|---|---|---|---|---|',
        '| `url` | http(s) URL | yes | — | no | where to send |',
        '| `token` | string | no | — | yes | API token |',
        '| `mode` | `a` \\| `b` | no | `a` | no | a \\| b, pick one |',
        '| `port` | integer (1–65535) | no | `25` | no | TCP port |',
        '| `tags` | list of strings (≥ 1) | no | — | no | extra tags |',
        '| `headers` | map of string → string | no | — | yes | extra headers |',
        '| `timeout` | duration | no | `5s` | no | per request |',
        '| `title_template` | LiquidJS template | no | — | no | LiquidJS template for the title |',
        '| `verbose` | boolean | no | `false` | no |  |',
      ].join('\n'),
    );
  });

  it('replaces only the block between the markers', () => {
    const page = `# Sample\n\n${CONFIG_TABLE_START}\n\nold table\n\n${CONFIG_TABLE_END}\n\nMore.\n`;
    assert.equal(withConfigTable(page, sample), `# Sample\n\n${configTableBlock(sample)}\n\nMore.\n`);
    assert.throws(() => withConfigTable('# no markers\n', sample), /expected one/);
  });
});

describe('receiver docs pages', () => {
  for (const definition of builtinReceivers) {
    it(`docs/receivers/${definition.type}.md has the table generated from the schema (npm run docs:receivers)`, () => {
      const page = readFileSync(new URL(`../../docs/receivers/${definition.type}.md`, import.meta.url), 'utf8');
      const start = page.indexOf(CONFIG_TABLE_START);
      const end = page.indexOf(CONFIG_TABLE_END);
      assert.ok(start >= 0 && end > start, `docs/receivers/${definition.type}.md has no config-table markers`);
      assert.equal(page.slice(start, end + CONFIG_TABLE_END.length), configTableBlock(definition), 'stale; run: npm run docs:receivers');
      assert.equal(withConfigTable(page, definition), page);
    });
  }
});
