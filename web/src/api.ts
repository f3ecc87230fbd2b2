/** The console's one door to Herald: same-origin fetches riding on the session cookie. */

export interface Session {
  mode: 'open' | 'tokens';
  principal: string;
  scopes: string[];
  csrf: string;
}

let csrf = '';
export function setCsrf(token: string): void {
  csrf = token;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** JSON in, JSON out; an error answer becomes an ApiFailure carrying Herald's `detail`. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Every state change carries the session's CSRF token; Herald refuses it otherwise.
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json ?? {}) as { error?: string; detail?: string };
    if (res.status === 401 && !path.startsWith('/console/session')) window.dispatchEvent(new CustomEvent('herald:signed-out'));
    throw new ApiFailure(res.status, e.error ?? 'http_error', e.detail ?? `HTTP ${res.status}`);
  }
  return json as T;
}

export interface HEvent {
  id: string;
  title: string;
  text?: string;
  source?: string;
  type?: string;
  action?: string;
  status: 'firing' | 'resolved' | 'info';
  severity?: string;
  key?: string;
  url?: string;
  labels: Record<string, string>;
  received_at: string;
  data?: unknown;
}

export interface Delivery {
  id: string;
  event_id: string;
  receiver: string;
  state: string;
  attempts: number;
  tries: number;
  run_at: string;
  created_at: string;
  updated_at: string;
  last_error: string | null;
  last_status: number | null;
  attempts_log?: {
    try: number;
    started_at: string;
    duration_ms: number;
    ok: boolean;
    reason: string | null;
    status: number | null;
    error: string | null;
    response: string | null;
  }[];
}

export interface Incident {
  id: string;
  route: string;
  key: string;
  status: 'firing' | 'resolved';
  title: string;
  times_seen: number;
  first_seen: string;
  last_seen: string;
  acknowledged: boolean;
  acknowledged_by: string | null;
  resolved_at: string | null;
  labels: Record<string, string>;
  group: string;
}

/** Matcher text for a label, quoted the way Herald writes it. */
export const matcherText = (name: string, value: string) => `${name}=${JSON.stringify(value)}`;

// One formatter for the page: toLocaleString() builds a new one per call, which showed in profiles of a busy feed.
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });
export const when = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : DATE_TIME.format(d);
};

export const ago = (iso: string, now = Date.now()): string => {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (s < 60) return `${Math.max(s, 0)}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
};
