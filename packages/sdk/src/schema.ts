import { type TSchema, Type } from 'typebox';
import Format from 'typebox/format';

// Registered where HttpUrl() is defined, so any user of the SDK validates it the same way.
Format.Set('http-url', (value: string) => {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
});

export type { Static, TSchema } from 'typebox';
export { Type };

/**
 * Marks a string field as a secret: masked in logs, API output and errors.
 */
export function Secret(options: { description?: string; minLength?: number } = {}) {
  return Type.String({ minLength: 1, ...options, secret: true });
}

/** An absolute http:// or https:// URL. */
export function HttpUrl(options: { description?: string; secret?: boolean; default?: string } = {}) {
  return Type.String({ ...options, format: 'http-url' });
}

/** True when the schema node was declared with Secret() or `secret: true`. */
export function isSecretSchema(schema: TSchema): boolean {
  return (schema as { secret?: unknown }).secret === true;
}

/** A duration string such as `500ms`, `5s`, `2m`, `1h`; read it with parseDuration(). */
export function Duration(options: { description?: string; default?: string } = {}) {
  return Type.String({ ...options, pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$' });
}

/** A size such as `1048576`, `512KiB`, `1MiB`; read it with parseBytes(). */
export function Bytes(options: { description?: string; default?: string | number } = {}) {
  return Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: '^\\d+\\s*([KkMmGg]i?[Bb]|[Bb])?$' })], options);
}
