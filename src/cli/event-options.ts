import { readFileSync } from 'node:fs';
import type { EventInput } from '@herald/sdk';
import { CliError } from './api-client.js';

export interface EventFlags {
  file?: string;
  title?: string;
  text?: string;
  status?: string;
  severity?: string;
  key?: string;
  source?: string;
  url?: string;
  label?: string[];
}

/** Builds an event from --file, or from flags (flags override the file's fields). */
export function eventFromFlags(f: EventFlags): unknown {
  let base: Record<string, unknown> = {};
  if (f.file) {
    try {
      base = JSON.parse(readFileSync(f.file === '-' ? 0 : f.file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`--file ${f.file}: ${(err as Error).message}`, 2);
    }
  }
  const labels: Record<string, string> = { ...((base.labels as Record<string, string>) ?? {}) };
  for (const l of f.label ?? []) {
    const i = l.indexOf('=');
    if (i <= 0) throw new CliError(`--label ${JSON.stringify(l)}: expected key=value`, 2);
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const event: Partial<EventInput> & Record<string, unknown> = { ...base };
  for (const k of ['title', 'text', 'status', 'severity', 'key', 'source', 'url'] as const)
    if (f[k] !== undefined) (event as Record<string, unknown>)[k] = f[k];
  if (Object.keys(labels).length > 0) event.labels = labels;
  if (event.title === undefined) throw new CliError('an event needs a title: pass --title or --file', 2);
  return event;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** A sample event for `herald test`, like testing a broker with an example payload. */
export const SAMPLE_EVENT: EventInput = {
  title: 'Herald test notification',
  text: 'If you can read this, the receiver works.',
  source: 'herald',
  type: 'test',
  status: 'firing',
  severity: 'info',
  key: 'herald-test',
  labels: { env: 'test' },
  data: { repository: { name: 'herald', url: 'https://example.com/herald' }, commits: [{ id: '0000000', message: 'test commit' }] },
};

/** A raw payload file (or - for stdin), sent as is. */
export function readPayload(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
}

/** A raw payload file (or - for stdin) as bytes: signatures are computed over exactly these. */
export function readPayloadBytes(file: string): Buffer {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, 2);
  }
}

/** `--header "Name: value"` options → lower-case header names. */
export function parseHeaders(list: string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    if (i <= 0) throw new CliError(`--header ${JSON.stringify(h)}: use "Name: value"`, 2);
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return headers;
}
