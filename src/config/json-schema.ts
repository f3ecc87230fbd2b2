import type { TSchema } from '@herald/sdk';
import type { Registry } from '../registry/registry.js';
import { PeopleSectionsSchema } from './people.js';
import { ConfigFileSchema, ReceiverCommonSchema, SourceCommonSchema } from './schema.js';
import { SilenceSectionsSchema } from './silences.js';

type Node = Record<string, unknown> & { properties?: Record<string, Node>; required?: string[] };

/** A plain-JSON copy of a TypeBox schema (its type-level markers are not enumerable, so they drop out). */
function json(schema: TSchema | Node): Node {
  return JSON.parse(JSON.stringify(schema)) as Node;
}

/**
 * The config file's own schema with the sections that load.ts validates
 * separately (people, silences: Type.Unknown in ConfigFileSchema, so their
 * issues are reported once, by their own builders) put back in, and the
 * `receivers:` / `sources:` entries as one object per registered type
 * (`oneOf`, told apart by the `type` constant). It reads as the file's full
 * shape, for the docs tables and for `herald config schema`.
 */
export function configFileSchema(registry: Registry): Node {
  const root = json(ConfigFileSchema);
  const props = root.properties as Record<string, Node>;
  for (const [k, v] of Object.entries(PeopleSectionsSchema.properties)) props[k] = json(v);
  for (const [k, v] of Object.entries(SilenceSectionsSchema.properties)) props[k] = json(v);
  props.receivers = {
    type: 'array',
    description: 'where notifications go; one entry per receiver, with the fields of its type (docs/receivers/)',
    items: { oneOf: registry.all().map(({ definition }) => typedEntry(ReceiverCommonSchema, definition)) },
  };
  props.sources = {
    type: 'array',
    description: 'where events come from; one entry per source, with the fields of its type (docs/sources/)',
    items: { oneOf: registry.sources.all().map(({ definition }) => typedEntry(SourceCommonSchema, definition)) },
  };
  return root;
}

/** One type's entry: the common fields (with `type` fixed to this type) plus the type's own. */
function typedEntry(common: TSchema, definition: { type: string; displayName: string; config: TSchema }): Node {
  const base = json(common);
  const own = json(definition.config);
  return {
    type: 'object',
    title: `${definition.type}: ${definition.displayName}`,
    properties: {
      ...base.properties,
      type: { const: definition.type, description: definition.displayName },
      ...own.properties,
    },
    required: [...new Set([...(base.required ?? []), ...(own.required ?? [])])],
    additionalProperties: false,
  };
}

/** `${VAR}` or `${VAR:-default}` anywhere in a string: expanded at load, so not checked as written. */
export const INTERPOLATION_PATTERN = '\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}';

/**
 * The JSON Schema of the whole config file, for editors (`# yaml-language-server:
 * $schema=…`) and `herald config schema`. Two changes to the file's own schema
 * make it describe the file as written rather than as loaded:
 * - a key with a default is not required (load.ts fills it in before validating);
 * - a constrained string (pattern, format, enum, length) also accepts a value with
 *   `${VAR}` in it, which is expanded at load and checked then.
 */
export function configJsonSchema(registry: Registry): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Herald configuration',
    description: 'herald.yaml: sources, receivers, routes and the rest; see docs/configuration.md',
    ...(asWritten(configFileSchema(registry)) as Node),
  };
}

const STRING_CONSTRAINTS = ['pattern', 'format', 'enum', 'minLength', 'maxLength'];

function asWritten(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(asWritten);
  if (node === null || typeof node !== 'object') return node;
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) out[k] = k === 'default' || k === 'const' || k === 'enum' ? v : asWritten(v);
  if (out.properties && out.required) {
    const props = out.properties;
    out.required = out.required.filter((k) => props[k]?.default === undefined);
    if (out.required.length === 0) delete out.required;
  }
  if (isConstrainedString(out)) {
    const { description, default: defaultValue, secret, ...check } = out;
    return {
      ...(description === undefined ? {} : { description }),
      ...(defaultValue === undefined ? {} : { default: defaultValue }),
      ...(secret === undefined ? {} : { secret }),
      anyOf: [check, { type: 'string', pattern: INTERPOLATION_PATTERN }],
    };
  }
  return out;
}

function isConstrainedString(node: Node): boolean {
  const stringEnum = Array.isArray(node.enum) && node.enum.every((v) => typeof v === 'string');
  return (node.type === 'string' || stringEnum) && STRING_CONSTRAINTS.some((k) => node[k] !== undefined);
}
