import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local ntfy server taking JSON publishes, as documented at
 * https://docs.ntfy.sh/publish/#publish-as-json: `POST /` with a JSON body
 * whose `topic` is required; `message`, `title`, `tags` (strings),
 * `priority` (1–5), `click`, `icon` (URLs), `markdown` (boolean) and up to
 * three `actions` ({action: view|broadcast|http, label, url}). A protected
 * topic needs `Authorization: Bearer tk_…` or Basic user:password
 * (https://docs.ntfy.sh/publish/#authentication): none is 401 (40101), a
 * wrong one 403 (40301). A message over 4,096 bytes is 413 (41301), and with
 * rate limiting on, 429 (42901) — without Retry-After, as ntfy answers.
 */
export interface FakeNtfy {
  url: string;
  token: string;
  user: string;
  password: string;
  /** Topics that need credentials. */
  protected: Set<string>;
  accepted: { headers: IncomingMessage['headers']; body: Record<string, unknown>; at: number }[];
  rejected: { status: number; body: unknown; at: number }[];
  /** Requests allowed per second (0: unlimited). */
  perSecond: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const ntfyError = (code: number, error: string) => ({ code, http: Math.floor(code / 100), error, link: 'https://ntfy.sh/docs/publish/' });

/** Problems with a JSON publish; empty when valid. */
export function validateNtfyPublish(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const isUrl = (v: unknown) => typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v);
  if (typeof b.topic !== 'string' || !/^[-_A-Za-z0-9]{1,64}$/.test(b.topic)) errors.push('invalid topic');
  for (const k of ['message', 'title']) if (b[k] !== undefined && typeof b[k] !== 'string') errors.push(`${k} must be a string`);
  if (b.priority !== undefined && !(Number.isInteger(b.priority) && (b.priority as number) >= 1 && (b.priority as number) <= 5))
    errors.push('invalid priority');
  if (b.tags !== undefined && !(Array.isArray(b.tags) && b.tags.every((t) => typeof t === 'string'))) errors.push('tags must be strings');
  for (const k of ['click', 'icon']) if (b[k] !== undefined && !isUrl(b[k])) errors.push(`${k} must be a URL`);
  if (b.markdown !== undefined && typeof b.markdown !== 'boolean') errors.push('markdown must be a boolean');
  if (b.actions !== undefined) {
    const actions = b.actions as Record<string, unknown>[];
    if (!Array.isArray(actions) || actions.length > 3) errors.push('too many actions');
    else
      for (const a of actions)
        if (!['view', 'broadcast', 'http'].includes(String(a.action)) || typeof a.label !== 'string' || (a.action !== 'broadcast' && !isUrl(a.url)))
          errors.push('invalid action');
  }
  return errors;
}

export async function startFakeNtfy(): Promise<FakeNtfy> {
  const fake: FakeNtfy = {
    url: '',
    token: 'tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2',
    user: 'phil',
    password: 'mypass-secret',
    protected: new Set(),
    accepted: [],
    rejected: [],
    perSecond: 0,
    script: [],
    close: async () => {},
  };
  let windowStart = 0;
  let used = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body, at: now });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(`${JSON.stringify(body)}\n`);
      };
      if (req.method !== 'POST' && req.method !== 'PUT') return reply(405, ntfyError(40500, 'method not allowed'));
      if (req.url !== '/') return reply(404, ntfyError(40401, 'page not found'));
      if (fake.perSecond > 0) {
        if (now - windowStart >= 1000) {
          windowStart = now;
          used = 0;
        }
        if (used >= fake.perSecond)
          return reply(429, ntfyError(42901, 'limit reached: too many requests; increase your limits with a paid plan, see https://ntfy.sh'));
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? ntfyError(scripted.status * 100 + 1, 'scripted'), scripted.headers);
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, ntfyError(40024, 'invalid request: request body must be message JSON'));
      }
      const problems = validateNtfyPublish(body);
      if (problems.length > 0) return reply(400, ntfyError(40000, `invalid request: ${problems.join('; ')}`));
      if (fake.protected.has(String(body.topic))) {
        const auth = req.headers.authorization;
        if (!auth) return reply(401, ntfyError(40101, 'unauthorized'));
        const basic = `Basic ${Buffer.from(`${fake.user}:${fake.password}`).toString('base64')}`;
        if (auth !== `Bearer ${fake.token}` && auth !== basic) return reply(403, ntfyError(40301, 'forbidden'));
      }
      if (Buffer.byteLength(String(body.message ?? '')) > 4096) return reply(413, ntfyError(41301, 'message too large'));
      fake.accepted.push({ headers: req.headers, body, at: now });
      return reply(200, { id: `m${fake.accepted.length}`, time: Math.floor(now / 1000), event: 'message', topic: body.topic, message: body.message });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
