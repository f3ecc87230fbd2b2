import { ApiError } from '../errors.js';

/** Reads list-endpoint query parameters, refusing unknown ones by name. */
export function parseListQuery(query: unknown, known: string[]) {
  const q = (query ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(q)) {
    if (!known.includes(k)) throw new ApiError(400, 'invalid_query', `unknown query parameter "${k}" (known: ${known.join(', ')})`);
  }
  const string = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new ApiError(400, 'invalid_query', `${name}: must be given once, non-empty`);
    return v;
  };
  return {
    string,
    oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
      const v = string(name);
      if (v !== undefined && !allowed.includes(v as T)) throw new ApiError(400, 'invalid_query', `${name}: must be one of: ${allowed.join(', ')}`);
      return v as T | undefined;
    },
    time(name: string): number | undefined {
      const v = string(name);
      if (v === undefined) return undefined;
      const t = Date.parse(v);
      if (Number.isNaN(t)) throw new ApiError(400, 'invalid_query', `${name}: must be an RFC 3339 time, e.g. 2026-01-31T12:00:00Z`);
      return t;
    },
    limit(): number {
      const v = string('limit');
      if (v === undefined) return 50;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 500) throw new ApiError(400, 'invalid_query', 'limit: must be an integer from 1 to 500');
      return n;
    },
  };
}
