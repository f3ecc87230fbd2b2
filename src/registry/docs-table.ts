import { BYTES_PATTERN, Duration, isSecretSchema, type TSchema } from '@herald/sdk';

/**
 * The markers around a page's only generated table (docs/receivers/<type>.md, most of
 * docs/sources/). `docs:receivers` is kept as an alias of `docs:config`, so the text stays true.
 */
export const CONFIG_TABLE_START = '<!-- config-table:start (generated from the schema by npm run docs:receivers; do not edit) -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

/** The markers of one of several generated tables on a page (docs/configuration.md, docs/sources/checks.md). */
export function tableMarkers(key?: string): { start: string; end: string } {
  if (key === undefined) return { start: CONFIG_TABLE_START, end: CONFIG_TABLE_END };
  return {
    start: `<!-- config-table:start ${key} (generated from the schema by npm run docs:config; do not edit) -->`,
    end: `<!-- config-table:end ${key} -->`,
  };
}

/** The pattern Duration() declares, so a duration field reads as "duration" rather than a regex. */
const DURATION_PATTERN = (Duration() as { pattern?: string }).pattern;

/** The parts of a JSON Schema node the table reads. */
interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  format?: string;
  pattern?: string;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
}

const PLAIN = new Set(['string', 'integer', 'number', 'boolean']);

function code(value: unknown): string {
  // An empty string reads as "" (a bare `` would render as nothing).
  return `\`${typeof value === 'string' && value !== '' ? value : JSON.stringify(value)}\``;
}

function range(node: SchemaNode, min: 'minimum' | 'minItems', max: 'maximum' | 'maxItems'): string {
  const lo = node[min];
  const hi = node[max];
  if (lo !== undefined && hi !== undefined) return `${lo}–${hi}`;
  const parts: string[] = [];
  if (lo !== undefined) parts.push(`≥ ${lo}`);
  if (node.exclusiveMinimum !== undefined && min === 'minimum') parts.push(`> ${node.exclusiveMinimum}`);
  if (hi !== undefined) parts.push(`≤ ${hi}`);
  if (node.exclusiveMaximum !== undefined && max === 'maximum') parts.push(`< ${node.exclusiveMaximum}`);
  return parts.join(', ');
}

/** A short, readable type for one schema node. */
export function readableType(node: SchemaNode): string {
  if (Array.isArray(node.enum)) return node.enum.map(code).join(' | ');
  if (node.const !== undefined) return code(node.const);
  if (Array.isArray(node.anyOf)) {
    // Bytes(): a byte count or a size string such as 512KiB.
    if (node.anyOf.length === 2 && node.anyOf.some((n) => n.type === 'integer') && node.anyOf.some((n) => n.pattern === BYTES_PATTERN))
      return 'size (`1048576`, `512KiB`, `1MiB`)';
    return node.anyOf.map(readableType).join(' or ');
  }
  if (Array.isArray(node.oneOf)) return [...new Set(node.oneOf.map(readableType))].join(' or ');
  const type = Array.isArray(node.type) ? node.type.join(' or ') : node.type;
  switch (type) {
    case 'string':
      if (node.format === 'http-url') return 'http(s) URL';
      if (DURATION_PATTERN !== undefined && node.pattern === DURATION_PATTERN) return 'duration';
      if (node.description?.includes('LiquidJS')) return 'LiquidJS template';
      return 'string';
    case 'integer':
    case 'number': {
      const bounds = range(node, 'minimum', 'maximum');
      return bounds ? `${type} (${bounds})` : type;
    }
    case 'array': {
      const item = node.items ? readableType(node.items) : 'values';
      const items = PLAIN.has(item) ? `${item}s` : item;
      const bounds = range(node, 'minItems', 'maxItems');
      return `list of ${items}${bounds ? ` (${bounds})` : ''}`;
    }
    case 'object': {
      if (node.properties && Object.keys(node.properties).length > 0) return 'object';
      const values = Object.values(node.patternProperties ?? {});
      const value = values[0] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      return value ? `map of string → ${readableType(value)}` : 'object';
    }
    default:
      return type ?? 'any';
  }
}

/** One table cell: pipes escaped, line breaks folded, so the row stays one row. */
function cell(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/\|/g, '\\|');
}

export interface TableOptions {
  /** Top-level keys left out (e.g. the fields every check shares, which have a table of their own). */
  omit?: readonly string[];
  /**
   * Also list the fields of nested objects (`tls.cert`) and of objects in lists
   * (`bindings[].exchange`); default true. The top-level table of the config
   * file turns it off: each section has a table of its own.
   */
  flatten?: boolean;
}

/** The named fields of an object node (not a map's): they get rows of their own. */
function fieldsOf(node: SchemaNode): Record<string, SchemaNode> | undefined {
  return node.properties && Object.keys(node.properties).length > 0 ? node.properties : undefined;
}

function rowsOf(node: SchemaNode, prefix: string, options: TableOptions, top: boolean): string[][] {
  const required = new Set(node.required ?? []);
  const rows: string[][] = [];
  for (const [name, child] of Object.entries(fieldsOf(node) ?? {})) {
    if (top && options.omit?.includes(name)) continue;
    const path = `${prefix}${name}`;
    rows.push(
      [
        code(path),
        readableType(child),
        // A key with a default may be left out: the loader fills it in.
        required.has(name) && child.default === undefined ? 'yes' : 'no',
        child.default === undefined ? '—' : code(child.default),
        isSecretSchema(child as TSchema) ? 'yes' : 'no',
        child.description ?? '',
      ].map(cell),
    );
    if (options.flatten === false) continue;
    if (fieldsOf(child)) rows.push(...rowsOf(child, `${path}.`, options, false));
    else if (child.items && fieldsOf(child.items)) rows.push(...rowsOf(child.items, `${path}[].`, options, false));
  }
  return rows;
}

/**
 * The markdown table of an object schema's fields, in declaration order:
 * type, whether it is required (not optional and no default), its default,
 * whether it is secret, and its description.
 */
export function schemaTable(schema: TSchema, options: TableOptions = {}): string {
  const rows = rowsOf(schema as TSchema & SchemaNode, '', options, true);
  const lines = ['| field | type | required | default | secret | meaning |', '|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)];
  return lines.join('\n');
}

/** The table of a receiver's or source's config fields (its schema's properties, nested ones included). */
export function configTable(definition: { config: TSchema }, options: TableOptions = {}): string {
  return schemaTable(definition.config, options);
}

/** A generated block, markers included, as it appears in a docs page. */
export function tableBlock(table: string, key?: string): string {
  const { start, end } = tableMarkers(key);
  return `${start}\n\n${table}\n\n${end}`;
}

/** The whole generated block of a definition's page, markers included. */
export function configTableBlock(definition: { config: TSchema }): string {
  return tableBlock(configTable(definition));
}

/**
 * The page with the block between its markers (those of `key`) replaced by
 * `table`. Throws if the page does not have exactly one pair of those markers.
 */
export function withTable(page: string, table: string, key?: string): string {
  const { start: startMarker, end: endMarker } = tableMarkers(key);
  const start = page.indexOf(startMarker);
  const end = page.indexOf(endMarker, start);
  if (start < 0 || end < start || page.indexOf(startMarker, start + 1) >= 0 || page.indexOf(endMarker, end + 1) >= 0) {
    throw new Error(`expected one "${startMarker}" … "${endMarker}" pair`);
  }
  return page.slice(0, start) + tableBlock(table, key) + page.slice(end + endMarker.length);
}

/** The page with its only generated block replaced by the definition's current table. */
export function withConfigTable(page: string, definition: { config: TSchema }): string {
  return withTable(page, configTable(definition));
}
