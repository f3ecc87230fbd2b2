import { Duration, isSecretSchema, type ReceiverDefinition, type TSchema } from '@herald/sdk';

/** The markers around the generated table in docs/receivers/<type>.md. */
export const CONFIG_TABLE_START = '<!-- config-table:start (generated from the schema by npm run docs:receivers; do not edit) -->';
export const CONFIG_TABLE_END = '<!-- config-table:end -->';

/** The pattern Duration() declares, so a duration field reads as "duration" rather than a regex. */
const DURATION_PATTERN = (Duration() as { pattern?: string }).pattern;

/** The parts of a JSON Schema node the table reads. */
interface SchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaNode[];
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
  return `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
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
  if (Array.isArray(node.anyOf)) return node.anyOf.map(readableType).join(' or ');
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

/**
 * The markdown table of a receiver's config fields (top-level properties of
 * its schema, in declaration order). The docs pages embed it between
 * CONFIG_TABLE_START and CONFIG_TABLE_END.
 */
export function configTable(definition: ReceiverDefinition): string {
  const schema = definition.config as TSchema & SchemaNode;
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(([name, node]) =>
    [
      code(name),
      readableType(node),
      required.has(name) ? 'yes' : 'no',
      node.default === undefined ? '—' : code(node.default),
      isSecretSchema(node as TSchema) ? 'yes' : 'no',
      node.description ?? '',
    ].map(cell),
  );
  const lines = ['| field | type | required | default | secret | meaning |', '|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)];
  return lines.join('\n');
}

/** The whole generated block, markers included, as it appears in a docs page. */
export function configTableBlock(definition: ReceiverDefinition): string {
  return `${CONFIG_TABLE_START}\n\n${configTable(definition)}\n\n${CONFIG_TABLE_END}`;
}

/**
 * The page with the block between its markers replaced by the current table.
 * Throws if the page does not have exactly one pair of markers.
 */
export function withConfigTable(page: string, definition: ReceiverDefinition): string {
  const start = page.indexOf(CONFIG_TABLE_START);
  const end = page.indexOf(CONFIG_TABLE_END);
  if (start < 0 || end < start || page.indexOf(CONFIG_TABLE_START, start + 1) >= 0 || page.indexOf(CONFIG_TABLE_END, end + 1) >= 0) {
    throw new Error(`expected one "${CONFIG_TABLE_START}" … "${CONFIG_TABLE_END}" pair`);
  }
  return page.slice(0, start) + configTableBlock(definition) + page.slice(end + CONFIG_TABLE_END.length);
}
