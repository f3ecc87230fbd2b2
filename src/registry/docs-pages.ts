import type { TSchema } from '@herald/sdk';
import { configFileSchema, configJsonSchema } from '../config/json-schema.js';
import { ScheduleSchema, TeamSchema, UserSchema } from '../config/people.js';
import {
  AuthSchema,
  DeliverySchema,
  EnrichStepSchema,
  LogSchema,
  OutboundSchema,
  PolicySchema,
  ReceiverCommonSchema,
  RouteSchema,
  ServerSchema,
  SourceCommonSchema,
  StorageSchema,
} from '../config/schema.js';
import { InhibitRuleSchema, MaintenanceWindowSchema, SilenceSchema } from '../config/silences.js';
import { builtinRegistry } from '../plugins/builtins.js';
import { commonCheckProperties } from '../sources/checks/runner.js';
import { schemaTable, type TableOptions } from './docs-table.js';

/** One generated table: the page (relative to the repository root), its marker key, its current text. */
export interface GeneratedTable {
  page: string;
  /** Absent for a page's only table (the unkeyed markers). */
  key?: string;
  table: string;
}

/** The committed JSON Schema of the config file, next to the docs (herald.example.yaml points at it). */
export const SCHEMA_FILE = 'docs/herald.schema.json';

/** Sources documented on a shared page, with the key of their table there. */
const SHARED_SOURCE_PAGES: Record<string, string> = {
  'http-check': 'docs/sources/checks.md',
  'tcp-check': 'docs/sources/checks.md',
  'dns-check': 'docs/sources/checks.md',
};
const CHECK_COMMON_KEYS = Object.keys(commonCheckProperties);

/**
 * Every table generated from a schema, where it goes: each built-in receiver's
 * and source's page, and the sections of docs/configuration.md. The docs
 * script writes them, and the freshness test compares them with the pages.
 */
export function generatedTables(): GeneratedTable[] {
  const registry = builtinRegistry();
  const out: GeneratedTable[] = [];
  const add = (page: string, key: string | undefined, schema: TSchema, options?: TableOptions) =>
    out.push({ page, ...(key === undefined ? {} : { key }), table: schemaTable(schema, options) });

  for (const { definition } of registry.all()) add(`docs/receivers/${definition.type}.md`, undefined, definition.config);
  for (const { definition } of registry.sources.all()) {
    const shared = SHARED_SOURCE_PAGES[definition.type];
    if (shared) add(shared, definition.type, definition.config, { omit: CHECK_COMMON_KEYS });
    else add(`docs/sources/${definition.type}.md`, undefined, definition.config);
  }
  add('docs/sources/checks.md', 'common', { type: 'object', properties: commonCheckProperties } as unknown as TSchema);

  const config = 'docs/configuration.md';
  add(config, 'top-level', configFileSchema(registry) as unknown as TSchema, { flatten: false });
  add(config, 'server', ServerSchema);
  add(config, 'auth', AuthSchema);
  add(config, 'storage', StorageSchema);
  add(config, 'receivers', ReceiverCommonSchema);
  add(config, 'sources', SourceCommonSchema, { omit: ['enrich'] });
  add(config, 'enrich', EnrichStepSchema);
  add(config, 'routes', RouteSchema, { omit: ['policy'] });
  add(config, 'policy', PolicySchema);
  add(config, 'users', UserSchema);
  add(config, 'teams', TeamSchema);
  add(config, 'schedules', ScheduleSchema);
  add(config, 'silences', SilenceSchema);
  add(config, 'maintenance', MaintenanceWindowSchema);
  add(config, 'inhibit_rules', InhibitRuleSchema);
  add(config, 'delivery', DeliverySchema);
  add(config, 'outbound', OutboundSchema);
  add(config, 'log', LogSchema);
  return out;
}

/** The text of SCHEMA_FILE: the config's JSON Schema with the built-in types. */
export function schemaFileText(): string {
  return `${formatJson(configJsonSchema(builtinRegistry()), '')}\n`;
}

/** Biome's line width (biome.json), so the committed file is left alone by `biome check --write`. */
const LINE_WIDTH = 160;

/**
 * JSON laid out the way the repository's formatter lays it out, so the generated
 * file passes lint as written: objects one key per line, a list of plain values
 * on one line when it fits.
 */
function formatJson(value: unknown, indent: string, lead = 0): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
      // `lead` is what precedes the list on its line (indent, key, colon); the trailing comma counts too.
      if (lead + flat.length + 1 <= LINE_WIDTH) return flat;
    }
    return `[\n${value.map((v) => `${inner}${formatJson(v, inner, inner.length)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, v]) => {
        const key = `${inner}${JSON.stringify(k)}: `;
        return `${key}${formatJson(v, inner, key.length)}`;
      })
      .join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
