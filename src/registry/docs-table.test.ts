import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Bytes, Duration, defineReceiver, HttpUrl, Secret, Type } from '@herald/sdk';
import { builtinReceivers } from '../receivers/index.js';
import { builtinSources } from '../sources/index.js';
import { generatedTables, SCHEMA_FILE, schemaFileText } from './docs-pages.js';
import {
  CONFIG_TABLE_END,
  CONFIG_TABLE_START,
  configTable,
  configTableBlock,
  schemaTable,
  tableBlock,
  tableMarkers,
  withConfigTable,
  withTable,
} from './docs-table.js';

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

describe('schemaTable', () => {
  const schema = Type.Object({
    listen: Type.String({ default: '127.0.0.1:1', description: 'host:port' }),
    tls: Type.Optional(Type.Object({ cert: Type.String(), key: Secret() }, { description: 'STARTTLS' })),
    bindings: Type.Optional(Type.Array(Type.Object({ exchange: Type.String(), key: Type.String({ default: '' }) }))),
    limit: Type.Optional(Bytes({ default: '1MiB' })),
    shared: Type.Integer({ default: 2 }),
  });

  it('lists nested fields, counts a key with a default as not required, and can leave keys out', () => {
    assert.equal(
      schemaTable(schema, { omit: ['shared'] }),
      [
        '| field | type | required | default | secret | meaning |',
        '|---|---|---|---|---|---|',
        '| `listen` | string | no | `127.0.0.1:1` | no | host:port |',
        '| `tls` | object | no | — | no | STARTTLS |',
        '| `tls.cert` | string | yes | — | no |  |',
        '| `tls.key` | string | yes | — | yes |  |',
        '| `bindings` | list of object | no | — | no |  |',
        '| `bindings[].exchange` | string | yes | — | no |  |',
        '| `bindings[].key` | string | no | `""` | no |  |',
        '| `limit` | size (`1048576`, `512KiB`, `1MiB`) | no | `1MiB` | no |  |',
      ].join('\n'),
    );
    assert.doesNotMatch(schemaTable(schema, { flatten: false }), /tls\.cert|bindings\[\]/);
  });

  it('keeps keyed blocks apart on one page', () => {
    const page = `# P\n\n${tableBlock('old a', 'a')}\n\ntext\n\n${tableBlock('old b', 'b')}\n`;
    const next = withTable(withTable(page, 'new a', 'a'), 'new b', 'b');
    assert.equal(next, `# P\n\n${tableBlock('new a', 'a')}\n\ntext\n\n${tableBlock('new b', 'b')}\n`);
    assert.throws(() => withTable(page, 'x', 'c'), /expected one/);
    assert.notEqual(tableMarkers('a').start, tableMarkers().start);
  });
});

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('generated docs are up to date (npm run docs:config)', () => {
  const tables = generatedTables();

  it('covers every built-in receiver and source, and each section of docs/configuration.md', () => {
    for (const d of builtinReceivers)
      assert.ok(
        tables.some((t) => t.page === `docs/receivers/${d.type}.md`),
        d.type,
      );
    for (const d of builtinSources)
      assert.ok(
        tables.some((t) => t.page === `docs/sources/${d.type}.md` || t.key === d.type),
        d.type,
      );
    const keys = tables.filter((t) => t.page === 'docs/configuration.md').map((t) => t.key);
    for (const k of ['top-level', 'server', 'auth', 'storage', 'delivery', 'outbound', 'log', 'routes', 'policy', 'enrich']) assert.ok(keys.includes(k), k);
  });

  for (const { page, key, table } of tables) {
    it(`${page}${key ? ` (${key})` : ''} has the table generated from the schema`, () => {
      const text = read(page);
      const { start, end } = tableMarkers(key);
      const at = text.indexOf(start);
      const stop = text.indexOf(end, at);
      assert.ok(at >= 0 && stop > at, `${page} has no config-table markers${key ? ` for ${key}` : ''}`);
      assert.equal(text.slice(at, stop + end.length), tableBlock(table, key), `${page} is stale; run: npm run docs:config`);
    });
  }

  it(`${SCHEMA_FILE} is the current JSON Schema of the config`, () => {
    assert.equal(read(SCHEMA_FILE), schemaFileText(), `${SCHEMA_FILE} is stale; run: npm run docs:config`);
  });
});
