import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Gotify server's `POST /message`, as documented at
 * https://gotify.net/api-docs#/message/createMessage: the application token in
 * `X-Gotify-Key` (or `?token=`), a JSON body with a required non-empty
 * `message`, an optional `title`, an integer `priority` and an `extras` object
 * of namespaced keys. It answers 200 with the created message; a missing or
 * wrong token 401, a bad body 400, both as Gotify's
 * `{error, errorCode, errorDescription}`.
 */
export interface FakeGotify {
  url: string;
  token: string;
  accepted: { headers: IncomingMessage['headers']; body: Record<string, unknown> }[];
  rejected: { status: number; body: unknown }[];
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const gotifyError = (status: number, error: string, description: string) => ({ error, errorCode: status, errorDescription: description });

/** Problems with a message body, as the server's binding reports them; empty when valid. */
export function validateGotifyMessage(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof b.message !== 'string' || b.message === '') errors.push("Field 'message' is required");
  if (b.title !== undefined && typeof b.title !== 'string') errors.push("Field 'title' must be a string");
  if (b.priority !== undefined && !Number.isInteger(b.priority)) errors.push("Field 'priority' must be an integer");
  if (b.extras !== undefined) {
    if (!b.extras || typeof b.extras !== 'object' || Array.isArray(b.extras)) errors.push("Field 'extras' must be an object");
    else for (const k of Object.keys(b.extras)) if (!/^[a-z]+::[a-z]+$/i.test(k)) errors.push(`extras key ${k} is not namespaced (namespace::key)`);
  }
  return errors;
}

export async function startFakeGotify(): Promise<FakeGotify> {
  const fake: FakeGotify = { url: '', token: 'AbCdEf.gotifyApp1', accepted: [], rejected: [], script: [], close: async () => {} };
  let nextId = 1;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method !== 'POST' || url.pathname !== '/message') return reply(404, gotifyError(404, 'Not Found', 'page not found'));
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? gotifyError(scripted.status, 'Scripted', 'scripted'), scripted.headers);
      const token = req.headers['x-gotify-key'] ?? url.searchParams.get('token');
      if (token !== fake.token)
        return reply(401, gotifyError(401, 'Unauthorized', 'you need to provide a valid access token or user credentials to access this api'));
      if (!String(req.headers['content-type']).startsWith('application/json')) return reply(400, gotifyError(400, 'Bad Request', 'unsupported content type'));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, gotifyError(400, 'Bad Request', 'invalid JSON'));
      }
      const problems = validateGotifyMessage(body);
      if (problems.length > 0) return reply(400, gotifyError(400, 'Bad Request', problems.join('; ')));
      fake.accepted.push({ headers: req.headers, body });
      return reply(200, { id: nextId++, appid: 1, date: new Date().toISOString(), ...body });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
