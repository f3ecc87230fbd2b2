const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 };

export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';
export const BYTES_PATTERN = '^\\d+\\s*([KkMmGg]i?[Bb]|[Bb])?$';

/** `500ms`, `5s`, `2m`, `1h`, `1d` → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)} (use e.g. 500ms, 5s, 2m, 1h)`);
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] as string] as number));
}

/** `1048576`, `512KiB`, `1MiB`, `2MB` → bytes. */
export function parseBytes(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = /^(\d+)\s*([KkMmGg]i?[Bb]|[Bb])?$/.exec(text.trim());
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)} (use e.g. 1048576, 512KiB, 1MiB)`);
  return Number(m[1]) * (BYTE_UNITS[(m[2] ?? '').toLowerCase()] as number);
}
