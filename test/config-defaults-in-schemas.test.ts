// Config defaults live only in the schemas (docs/adr/0011): the loader fills
// them in before create() runs, so a receiver or source reading
// `config.x ?? <literal>` repeats a default the docs tables, the JSON Schema
// and `herald config schema` cannot see, and the two drift. These checks fail
// when such a fallback, an optional key with a default, or a default written
// only in a description comes back.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import type { TSchema } from '@herald/sdk';
import { builtinRegistry } from '../src/plugins/builtins.js';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === 'fixtures' ? [] : sourceFiles(p);
    return d.name.endsWith('.ts') && !d.name.endsWith('.test.ts') && d.name !== 'test-helpers.ts' ? [p] : [];
  });
}

/**
 * A read of a receiver's or source's config (`config.x`, `c.x`, `this.c.x`,
 * nested too) followed by `??` or `||` and what comes after, or compared with
 * undefined in a ternary (`c.x === undefined ? <fallback> :`).
 */
const FALLBACK = /\b(?:config|c)\.([a-z_]\w*(?:\??\.[a-z_]\w*)*)\s*(?:\?\?|\|\|)\s*([^\s,;)]+)/g;
const TERNARY = /\b(?:config|c)\.([a-z_]\w*(?:\??\.[a-z_]\w*)*)\s*===\s*undefined\s*\?\s*([^\s,;:)]+)/g;

/**
 * A fallback that is a default written in code: a number, a string or
 * template literal without `${`, a boolean, or a constant (SCREAMING_CASE).
 * Not flagged: `[]` / `{}` (an absent optional list or map read as empty is
 * the type's empty value, not a default: email's `to` may not even be written
 * empty, it has `minItems: 1`), `undefined`, and computed values (another
 * config key, the event, the source name, a lookup by another key).
 */
function isLiteral(rhs: string): boolean {
  return (
    /^-?\d/.test(rhs) ||
    /^['"]/.test(rhs) ||
    (rhs.startsWith('`') && !rhs.includes('${')) ||
    rhs === 'true' ||
    rhs === 'false' ||
    /^\(?[A-Z][A-Z0-9_]+$/.test(rhs)
  );
}

/**
 * Literal fallbacks that stay, each with why (key: file, then the config key).
 * A `*_template` key is also allowed by name: a receiver's built-in message
 * template is a named constant in its code, not a schema default (see
 * docs/adr/0012-builtin-templates-not-schema-defaults.md).
 */
const ALLOWED: Record<string, string> = {
  // Absent means "either of Grafana's two signature headers"; the literal is only the name shown in errors.
  'src/sources/grafana/index.ts hmac_header': 'absence accepts both X-Grafana-Alerting-Signature and X-Grafana-Alert-Signature',
  // `text_template` has no default on purpose: writing one with format json is a config error (validate()).
  'src/receivers/tcp/index.ts text_template': 'absence is checked by validate(); the built-in line template is used only with format: text',
  // api_url has no default: validate() requires it with token, and webhook mode never calls the REST URL built from it.
  'src/receivers/mattermost/index.ts api_url': "'' only keeps the unused REST base a string in webhook mode",
  // Message text, not a default: "via <server>" is said only when a resolver is configured.
  'src/sources/checks/dns.ts server': "absence means the system resolvers; '' is the empty 'via …' part of a message",
};

function literalFallbacks(): string[] {
  const found: string[] = [];
  for (const file of [...sourceFiles(join(root, 'src/receivers')), ...sourceFiles(join(root, 'src/sources'))]) {
    const rel = relative(root, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^\s*(\/\/|\*)/.test(line)) return;
        for (const re of [FALLBACK, TERNARY]) {
          for (const m of line.matchAll(re)) {
            const key = (m[1] as string).split(/\??\./).pop() as string;
            const rhs = m[2] as string;
            if (!isLiteral(rhs) || key.endsWith('_template') || ALLOWED[`${rel} ${key}`]) continue;
            found.push(`${rel}:${i + 1}: ${m[0].trim()}`);
          }
        }
      });
  }
  return found;
}

interface Node {
  type?: string;
  default?: unknown;
  description?: string;
  properties?: Record<string, Node>;
  required?: string[];
  items?: Node;
  patternProperties?: Record<string, Node>;
  anyOf?: Node[];
}

/** Every object property under `node` with its dotted path and whether its parent requires it. */
function* properties(node: Node, path: string): Generator<{ path: string; node: Node; required: boolean }> {
  for (const [k, p] of Object.entries(node.properties ?? {})) {
    const at = path ? `${path}.${k}` : k;
    yield { path: at, node: p, required: node.required?.includes(k) ?? false };
    yield* properties(p, at);
  }
  if (node.items) yield* properties(node.items, `${path}[]`);
  for (const v of Object.values(node.patternProperties ?? {})) yield* properties(v, `${path}.*`);
  for (const v of node.anyOf ?? []) yield* properties(v, path);
}

function definitions(): { name: string; schema: TSchema }[] {
  const registry = builtinRegistry();
  return [
    ...registry.all().map((r) => ({ name: `receiver ${r.definition.type}`, schema: r.definition.config })),
    ...registry.sources.all().map((r) => ({ name: `source ${r.definition.type}`, schema: r.definition.config })),
  ];
}

/**
 * A literal default stated only in prose: "(default 5m)", "default: 10",
 * "default true". Defaults computed from elsewhere ("default: delivery.timeout",
 * "default: the `host` label") do not start with a digit or a boolean.
 */
const PROSE_DEFAULT = /\bdefault:?\s+`?(-?\d[\w.]*|true|false)\b/i;

describe('config defaults are written only in the schemas', () => {
  it('receivers and sources read defaulted config keys without a literal fallback', () => {
    assert.deepEqual(literalFallbacks(), [], 'move the default into the schema (`default:`) and read the filled value');
  });

  it('every key with a schema default is required, so the filled config always has it (not Type.Optional)', () => {
    const optional = definitions().flatMap(({ name, schema }) =>
      [...properties(schema as Node, '')].filter((p) => p.node.default !== undefined && !p.required).map((p) => `${name}: ${p.path}`),
    );
    assert.deepEqual(optional, []);
  });

  it('no description states a literal default the schema does not have', () => {
    const prose = definitions().flatMap(({ name, schema }) =>
      [...properties(schema as Node, '')]
        .filter((p) => p.node.default === undefined && PROSE_DEFAULT.test(p.node.description ?? ''))
        .map((p) => `${name} ${p.path}: ${p.node.description}`),
    );
    assert.deepEqual(prose, []);
  });
});
