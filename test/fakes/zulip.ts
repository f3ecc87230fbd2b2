import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Zulip server's send-message endpoint, as documented at
 * https://zulip.com/api/send-message and https://zulip.com/api/rest-error-handling:
 * `POST /api/v1/messages`, `application/x-www-form-urlencoded`, HTTP Basic
 * auth `email:api_key`; `type` is `stream`/`channel` (with `to` a channel
 * name or ID and a non-empty `topic`) or `direct`/`private` (with `to` a JSON
 * list of emails or user IDs); `content` is required. Answers
 * `{"result": "success", "msg": "", "id": n}`; errors are
 * `{"result": "error", "msg", "code"}`: 401 `UNAUTHORIZED` / `INVALID_API_KEY`,
 * 400 `STREAM_DOES_NOT_EXIST` and `BAD_REQUEST`, and with rate limiting on,
 * 429 `RATE_LIMIT_HIT` with `retry-after` in the body and the Retry-After
 * header. Like the server, it cuts topics over 60 and content over 10,000
 * code points and records that it had to.
 */
export interface FakeZulip {
  url: string;
  email: string;
  apiKey: string;
  channels: Map<string, number>;
  users: Set<string>;
  accepted: { headers: IncomingMessage['headers']; form: Record<string, string>; serverCut: boolean; at: number }[];
  rejected: { status: number; body: unknown; headers: Record<string, string> }[];
  /** Requests allowed per second (0: unlimited). */
  perSecond: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const zerr = (msg: string, code: string, extra: Record<string, unknown> = {}) => ({ result: 'error', msg, code, ...extra });

export async function startFakeZulip(): Promise<FakeZulip> {
  const fake: FakeZulip = {
    url: '',
    email: 'herald-bot@chat.example.com',
    apiKey: 'zulipFakeApiKey0123456789abcdef',
    channels: new Map([
      ['alerts', 7],
      ['ops', 8],
    ]),
    users: new Set(['oncall@example.com', '42']),
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
        if (status >= 300) fake.rejected.push({ status, body, headers });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/api/v1/messages') return reply(404, zerr('Endpoint not found', 'BAD_REQUEST'));
      if (fake.perSecond > 0) {
        if (now - windowStart >= 1000) {
          windowStart = now;
          used = 0;
        }
        if (used >= fake.perSecond) {
          return reply(429, zerr('API usage exceeded rate limit', 'RATE_LIMIT_HIT', { 'retry-after': 1.5 }), {
            'retry-after': '1.5',
            'x-ratelimit-limit': String(fake.perSecond),
            'x-ratelimit-remaining': '0',
          });
        }
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? zerr('scripted', 'BAD_REQUEST'), scripted.headers);
      const auth = req.headers.authorization ?? '';
      const [user, key] = Buffer.from(auth.replace(/^Basic /, ''), 'base64')
        .toString('utf8')
        .split(':');
      if (!auth.startsWith('Basic ') || user !== fake.email) return reply(401, zerr('Your username or password is incorrect', 'UNAUTHORIZED'));
      if (key !== fake.apiKey) return reply(401, zerr('Invalid API key', 'INVALID_API_KEY'));
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        return reply(400, zerr("Missing 'content' argument", 'REQUEST_VARIABLE_MISSING', { var_name: 'content' }));
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      for (const k of ['type', 'to', 'content'])
        if (form[k] === undefined) return reply(400, zerr(`Missing '${k}' argument`, 'REQUEST_VARIABLE_MISSING', { var_name: k }));
      let serverCut = false;
      if (form.type === 'stream' || form.type === 'channel') {
        const channel = /^\d+$/.test(form.to as string) ? [...fake.channels].find(([, id]) => String(id) === form.to)?.[0] : form.to;
        if (!channel || !fake.channels.has(channel))
          return reply(400, zerr(`Channel '${form.to}' does not exist`, 'STREAM_DOES_NOT_EXIST', { stream: form.to }));
        if (!form.topic?.trim()) return reply(400, zerr("Topic can't be empty!", 'BAD_REQUEST'));
        if ([...form.topic].length > 60) {
          form.topic = `${[...form.topic].slice(0, 57).join('')}...`;
          serverCut = true;
        }
      } else if (form.type === 'direct' || form.type === 'private') {
        let to: unknown;
        try {
          to = JSON.parse(form.to as string);
        } catch {
          return reply(400, zerr('Invalid user ID', 'BAD_REQUEST'));
        }
        if (!Array.isArray(to) || to.some((u) => !fake.users.has(String(u)))) return reply(400, zerr(`Invalid email '${String(to)}'`, 'BAD_REQUEST'));
      } else return reply(400, zerr('Invalid message type', 'BAD_REQUEST'));
      if ([...(form.content as string)].length > 10_000) {
        form.content = `${[...(form.content as string)].slice(0, 9980).join('')}\n[message truncated]`;
        serverCut = true;
      }
      fake.accepted.push({ headers: req.headers, form: form as Record<string, string>, serverCut, at: now });
      return reply(200, { result: 'success', msg: '', id: 1000 + fake.accepted.length });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
