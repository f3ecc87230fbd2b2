import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Format from 'typebox/format';

// The SDK registers 'http-url' (beside HttpUrl()); importing it here guarantees the registration.
import '@herald/sdk';

Format.Set(
  'rfc3339',
  (value: string) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value)),
);

const FORMAT_MESSAGES: Record<string, string> = {
  'http-url': 'must be an http(s) URL',
  rfc3339: 'must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z',
};

/** One precise problem: where and why. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** `/receivers/2/url` → `receivers[2].url`, prefixed by `base`. */
export function formatPath(pointer: string, base = ''): string {
  let out = base;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

interface RawError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message: string;
}

function describe(e: RawError): string {
  switch (e.keyword) {
    case 'format':
      return FORMAT_MESSAGES[String(e.params.format)] ?? `must be a valid ${String(e.params.format)}`;
    case 'required':
      return 'is required';
    case 'type':
      return `must be ${describeType(e.params.type)}`;
    case 'enum':
      return `must be one of: ${(e.params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'maxLength':
      return `must be at most ${String(e.params.limit)} characters`;
    case 'minLength':
      return Number(e.params.limit) === 1 ? 'must not be empty' : `must be at least ${String(e.params.limit)} characters`;
    case 'maxItems':
      return `must have at most ${String(e.params.limit)} items`;
    case 'minItems':
      return `must have at least ${String(e.params.limit)} items`;
    case 'maxProperties':
      return `must have at most ${String(e.params.limit)} entries`;
    case 'pattern':
      return `must match ${String(e.params.pattern)}`;
    default:
      return e.message;
  }
}

function describeType(t: unknown): string {
  const names = (Array.isArray(t) ? t : [t]).map(String);
  return names.map((n) => (n === 'object' ? 'an object' : n === 'array' ? 'a list' : n === 'integer' ? 'an integer' : `a ${n}`)).join(' or ');
}

/**
 * Turns TypeBox errors into one message per place, most specific first.
 * Unions of constants become "must be one of: …"; unknown keys are named.
 */
function toIssues(errors: RawError[], base: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  const add = (path: string, message: string) => {
    const k = `${path}\0${message}`;
    if (!seen.has(k)) {
      seen.add(k);
      issues.push({ path, message });
    }
  };
  const anyOfConsts = new Map<string, unknown[]>();
  for (const e of errors) {
    if (e.keyword === 'const' && /\/anyOf\/\d+$/.test(e.schemaPath)) {
      const list = anyOfConsts.get(e.instancePath) ?? [];
      list.push(e.params.allowedValue);
      anyOfConsts.set(e.instancePath, list);
    }
  }
  for (const e of errors) {
    if (e.keyword === 'boolean' && e.schemaPath.endsWith('additionalProperties')) continue;
    if (e.keyword === 'const' && /\/anyOf\/\d+$/.test(e.schemaPath)) continue;
    if (e.keyword === 'additionalProperties') {
      for (const key of e.params.additionalProperties as string[]) {
        add(formatPath(`${e.instancePath}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, base), 'is not a known key');
      }
      continue;
    }
    if (e.keyword === 'required') {
      for (const key of e.params.requiredProperties as string[]) add(formatPath(`${e.instancePath}/${key}`, base), 'is required');
      continue;
    }
    if (e.keyword === 'anyOf' && anyOfConsts.has(e.instancePath)) {
      add(formatPath(e.instancePath, base), `must be one of: ${(anyOfConsts.get(e.instancePath) ?? []).map(String).join(', ')}`);
      continue;
    }
    if (e.keyword === 'anyOf' && issues.some((i) => i.path.startsWith(formatPath(e.instancePath, base)))) continue;
    add(formatPath(e.instancePath, base) || '(root)', describe(e));
  }
  return issues;
}

export interface Validator<T> {
  check(value: unknown): value is T;
  /** Issues with paths prefixed by `base` (e.g. `receivers[2]`). */
  issues(value: unknown, base?: string): ValidationIssue[];
}

/**
 * Compiles a schema once, on first use (compiling every schema at import cost
 * CLI commands that never validate about a second); reuse the result on hot paths.
 */
export function compileValidator<T>(schema: TSchema): Validator<T> {
  let compiled: ReturnType<typeof Compile> | undefined;
  const get = () => {
    compiled ??= Compile(schema);
    return compiled;
  };
  return {
    check: (value: unknown): value is T => get().Check(value),
    issues: (value, base = '') => toIssues([...get().Errors(value)] as unknown as RawError[], base),
  };
}

export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('\n');
}
