import { readFileSync } from 'node:fs';
// Types only: the CLI's API commands must not load the catalogue's SDK import (test/cli-startup.test.ts).
import type { CliErrorCode } from '../errors/catalogue.js';

export interface RemoteOptions {
  server?: string;
  token?: string;
  config?: string;
}

/**
 * Thrown for answers the user must see; the CLI prints `herald: <code>: <message>`
 * and exits `exitCode`.
 */
export class CliError extends Error {
  /**
   * A catalogue code (docs/errors.md): the one given, else HERALD_ERR_CLI_USAGE
   * for exit 2 and HERALD_ERR_CLI_FAILED for any other; or the code of the API
   * answer that refused the command, as Herald sent it (a newer server may
   * send a code this CLI does not know yet, and that code is still the one to
   * look up).
   */
  readonly code: string;

  constructor(
    message: string,
    readonly exitCode = 1,
    code?: CliErrorCode | { answered: string },
  ) {
    super(message);
    this.name = 'CliError';
    this.code = code === undefined ? (exitCode === 2 ? 'HERALD_ERR_CLI_USAGE' : 'HERALD_ERR_CLI_FAILED') : typeof code === 'string' ? code : code.answered;
  }
}

/** The API base URL: --server, HERALD_URL, or the config's listen address. */
export function serverUrl(o: RemoteOptions): string {
  if (o.server) return o.server.replace(/\/$/, '');
  if (process.env.HERALD_URL) return process.env.HERALD_URL.replace(/\/$/, '');
  const file = o.config ?? process.env.HERALD_CONFIG ?? 'herald.yaml';
  try {
    const m = /^\s*listen:\s*["']?([^"'\s#]+)/m.exec(readFileSync(file, 'utf8'));
    if (m?.[1] && !m[1].includes('$')) return `http://${m[1].replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
  } catch {
    // No readable config: fall back to the default address.
  }
  return 'http://127.0.0.1:9470';
}

/** Calls Herald's own API (the op/**
 * Calls Herald's own API (the operator's command, so no SSRF guard applies).
 * Node's built-in fetch, not the undici package: API commands must start fast.
 */
export async function callApi(
  o: RemoteOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  raw?: { body: string; headers: Record<string, string> },
): Promise<{ status: number; json: unknown }> {
  const base = serverUrl(o);
  const token = o.token ?? process.env.HERALD_TOKEN;
  // A hook authenticates its sender itself (its own token or signature), never with the API token.
  const headers: Record<string, string> = raw ? { 'content-type': 'application/json', ...raw.headers } : {};
  if (token && !raw) headers.authorization = `Bearer ${token}`;
  if (body !== undefined && !raw) headers['content-type'] = 'application/json';
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const why = e.name === 'TimeoutError' ? 'no answer within 30 s' : (e.cause?.message ?? e.message);
    throw new CliError(`cannot reach Herald at ${base}: ${why} (is \`herald serve\` running? use --server or HERALD_URL)`, 1, 'HERALD_ERR_CLI_UNREACHABLE');
  }
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: show the text as is.
  }
  if (res.status >= 400) {
    const e = json as { error?: string; code?: unknown; detail?: string };
    const answered = typeof e?.code === 'string' && /^HERALD_ERR_[A-Z0-9_]+$/.test(e.code) ? { answered: e.code } : 'HERALD_ERR_CLI_API_REFUSED';
    throw new CliError(`Herald answered ${res.status}${e?.error ? ` ${e.error}` : ''}: ${e?.detail ?? text}`, 1, answered);
  }
  return { status: res.status, json };
}
