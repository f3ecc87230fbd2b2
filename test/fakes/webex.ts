import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * The Webex messages API's create call, as documented at
 * https://developer.webex.com/docs/api/v1/messages/create-a-message:
 * `POST /v1/messages`, `Authorization: Bearer <token>`, JSON with exactly one
 * of `roomId`, `toPersonId`, `toPersonEmail` and at least one of `text`,
 * `markdown`, `files`; `text` and `markdown` at most 7,439 bytes each. Answers
 * 200 with the created message; errors are
 * `{message, errors: [{description}], trackingId}`: 401 for a missing or
 * invalid token, 404 for a space the bot is not in, 400 for a bad body, and
 * with rate limiting on, 429 with Retry-After in seconds
 * (https://developer.webex.com/docs/basics#upper-limits).
 */
export interface FakeWebex {
  url: string;
  token: string;
  roomId: string;
  accepted: { headers: IncomingMessage['headers']; body: Record<string, unknown>; at: number }[];
  rejected: { status: number; body: unknown }[];
  /** Requests allowed per second (0: unlimited). */
  perSecond: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const webexError = (message: string) => ({ message, errors: [{ description: message }], trackingId: 'ROUTER_6565F1A2-3B4C-01BB-0000-FAKE00000001' });

export function validateWebexMessage(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const targets = ['roomId', 'toPersonId', 'toPersonEmail'].filter((k) => b[k] !== undefined);
  if (targets.length !== 1) errors.push('exactly one of roomId, toPersonId, toPersonEmail is required');
  if (b.text === undefined && b.markdown === undefined && b.files === undefined) errors.push('text, markdown or files is required');
  for (const k of ['text', 'markdown']) {
    if (b[k] === undefined) continue;
    if (typeof b[k] !== 'string') errors.push(`${k} must be a string`);
    else if (Buffer.byteLength(b[k] as string) > 7439) errors.push(`${k} exceeds the maximum length of 7439 bytes`);
  }
  return errors;
}

export async function startFakeWebex(): Promise<FakeWebex> {
  const fake: FakeWebex = {
    url: '',
    token: 'NjU0ZmFrZWJvdHRva2VuX1BGMTlfYjQ5Ny00ZjFjLTk5YmUtZmFrZQ',
    roomId: 'Y2lzY29zcGFyazovL3VzL1JPT00vYmJjZWIxYWQtNDNmMS0zYjU4LTkxNDctZjE0YmIwYzRkMTU0',
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
        if (status >= 300) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8', trackingid: 'ROUTER_FAKE', ...headers }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v1/messages') return reply(404, webexError('The requested resource could not be found.'));
      if (fake.perSecond > 0) {
        if (now - windowStart >= 1000) {
          windowStart = now;
          used = 0;
        }
        if (used >= fake.perSecond) return reply(429, webexError('Too many requests have been sent in a given amount of time.'), { 'retry-after': '2' });
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? webexError('scripted'), scripted.headers);
      if (req.headers.authorization !== `Bearer ${fake.token}`)
        return reply(401, webexError('The request requires a valid access token set in the Authorization request header.'));
      if (!String(req.headers['content-type']).startsWith('application/json')) return reply(415, webexError('Unsupported media type'));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, webexError('Invalid JSON'));
      }
      const problems = validateWebexMessage(body);
      if (problems.length > 0) return reply(400, webexError(problems.join('; ')));
      if (body.roomId !== undefined && body.roomId !== fake.roomId) return reply(404, webexError('Could not find a room with provided ID.'));
      fake.accepted.push({ headers: req.headers, body, at: now });
      return reply(200, {
        id: `Y2lzY29zcGFyazovL3VzL01FU1NBR0Uv${fake.accepted.length}`,
        roomId: body.roomId ?? 'direct',
        roomType: body.roomId ? 'group' : 'direct',
        text: body.text,
        markdown: body.markdown,
        personEmail: 'herald@webex.bot',
        created: new Date(now).toISOString(),
      });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
