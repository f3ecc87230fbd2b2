import type { TSchema } from '@herald/sdk';

/** The parts of a schema node that defaults are read from. */
interface DefaultsNode {
  default?: unknown;
  properties?: Record<string, DefaultsNode>;
  patternProperties?: Record<string, DefaultsNode>;
  items?: DefaultsNode;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `value` with every `default` its schema declares filled in, at any depth:
 * an absent key with a default gets a copy of it, and objects (present, or
 * just defaulted) are descended into, as are list items and map values. The
 * schemas are the only place config defaults are written down; this is how
 * the loader reads them. Keys without a default stay absent (an absent
 * optional section, like a route's `policy`, means something of its own).
 * Values of the wrong shape are left as they are, for validation to report;
 * unions are not descended into, since which branch applies is not known yet.
 * Never mutates `value`.
 */
export function withDefaults<T = unknown>(schema: TSchema, value: unknown): T {
  return fill(schema as DefaultsNode, value) as T;
}

function fill(node: DefaultsNode, value: unknown): unknown {
  const v = value === undefined && node.default !== undefined ? structuredClone(node.default) : value;
  if (isPlainObject(v) && (node.properties || node.patternProperties)) {
    const out: Record<string, unknown> = { ...v };
    for (const [k, p] of Object.entries(node.properties ?? {})) {
      const filled = fill(p, out[k]);
      if (filled !== undefined) out[k] = filled;
    }
    // A map (Type.Record): every value not named by `properties` follows the one value schema.
    const valueSchema = Object.values(node.patternProperties ?? {})[0];
    if (valueSchema) for (const [k, inner] of Object.entries(out)) if (!node.properties?.[k]) out[k] = fill(valueSchema, inner);
    return out;
  }
  if (Array.isArray(v) && node.items && !Array.isArray(node.items)) {
    const items = node.items;
    return v.map((item) => fill(items, item));
  }
  return v;
}
