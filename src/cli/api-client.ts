import { readFileSync } from 'node:fs';
import { request } from 'undici';

export interface RemoteOptions {
  server?: string;
  token?: string;
  config?: string;
}

/** Thrown for answers the user must see; the CLI prints it and exits 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
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

/** Calls Herald's own API (the operator's command, so no SSRF guard applies). */
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
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${base}${path}`, {
      method,
      headers,
      body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  } catch (err) {
    throw new CliError(`cannot reach Herald at ${base}: ${(err as Error).message} (is \`herald serve\` running? use --server or HERALD_URL)`);
  }
  const text = await res.body.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: show the text as is.
  }
  if (res.statusCode >= 400) {
    const e = json as { error?: string; detail?: string };
    throw new CliError(`Herald answered ${res.statusCode}${e?.error ? ` ${e.error}` : ''}: ${e?.detail ?? text}`);
  }
  return { status: res.statusCode, json };
}
