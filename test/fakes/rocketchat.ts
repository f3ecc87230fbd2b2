import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Rocket.Chat incoming webhook, as documented at
 * https://docs.rocket.chat/docs/integrations: `POST /hooks/{integrationId}/{token}`
 * with a JSON message (`text`, `alias`, `emoji`, `avatar`, `channel`,
 * Slack-style `attachments` with `color`, `title`, `title_link`, `text`,
 * `fields`); answers `200 {"success": true}`. An unknown id or token is
 * `404 {"success": false, "error": "Invalid integration id or token provided."}`,
 * a message over 5,000 characters (`Message_MaxAllowedSize`) or an unknown
 * channel 400, and with rate limiting on, 429 with X-RateLimit-Limit,
 * X-RateLimit-Remaining and X-RateLimit-Reset (epoch milliseconds) and no
 * Retry-After, as Rocket.Chat's API rate limiter answers.
 */
export interface FakeRocketChat {
  url: string;
  hookPath: string;
  channels: Set<string>;
  accepted: { headers: IncomingMessage['headers']; body: Record<string, unknown>; at: number }[];
  rejected: { status: number; body: unknown; headers: Record<string, string> }[];
  /** Requests allowed per window (0: unlimited). */
  limit: number;
  windowMs: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const fail = (error: string) => ({ success: false, error });

/** Problems with a webhook message; empty when valid. */
export function validateRocketChatMessage(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const k of ['text', 'alias', 'emoji', 'avatar', 'channel']) if (b[k] !== undefined && typeof b[k] !== 'string') errors.push(`${k} must be a string`);
  const atts = b.attachments as Record<string, unknown>[] | undefined;
  if (atts !== undefined) {
    if (!Array.isArray(atts)) errors.push('attachments must be an array');
    else
      for (const [i, a] of atts.entries()) {
        if (a.color !== undefined && !/^#[0-9A-Fa-f]{6}$/.test(String(a.color))) errors.push(`attachments[${i}].color is invalid`);
        for (const k of ['title', 'title_link', 'text'])
          if (a[k] !== undefined && typeof a[k] !== 'string') errors.push(`attachments[${i}].${k} must be a string`);
        const fields = a.fields as { title?: unknown; value?: unknown; short?: unknown }[] | undefined;
        if (fields !== undefined && !(Array.isArray(fields) && fields.every((f) => typeof f.title === 'string' && typeof f.value === 'string')))
          errors.push(`attachments[${i}].fields need string title and value`);
      }
  }
  if (!b.text && !(Array.isArray(atts) && atts.length > 0)) errors.push('text or attachments required');
  return errors;
}

export async function startFakeRocketChat(): Promise<FakeRocketChat> {
  const fake: FakeRocketChat = {
    url: '',
    hookPath: '/hooks/6dNRTbo9KCnDQPdrx/Dw2rjcRdrzfLbPdazFAsR4RnGQQgYXqpm8KkbdZ5mrj7rXdq',
    channels: new Set(['#general', '#alerts', '@alice']),
    accepted: [],
    rejected: [],
    limit: 0,
    windowMs: 60_000,
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
        if (status >= 300 || (body as { success?: boolean }).success === false) fake.rejected.push({ status, body, headers });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !/^\/hooks\/[^/]+\/[^/]+$/.test(req.url ?? '')) return reply(404, fail('Not found'));
      if (fake.limit > 0) {
        if (now - windowStart >= fake.windowMs) {
          windowStart = now;
          used = 0;
        }
        if (used >= fake.limit) {
          const reset = windowStart + fake.windowMs;
          return reply(
            429,
            fail(
              `Error, too many requests. Please slow down. You must wait ${Math.ceil((reset - now) / 1000)} seconds before trying this endpoint again. [error-too-many-requests]`,
            ),
            { 'x-ratelimit-limit': String(fake.limit), 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
          );
        }
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? fail('scripted'), scripted.headers);
      if (req.url !== fake.hookPath) return reply(404, fail('Invalid integration id or token provided.'));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, fail('Invalid JSON'));
      }
      const problems = validateRocketChatMessage(body);
      if (problems.length > 0) return reply(400, fail(problems.join('; ')));
      if ([...String(body.text ?? '')].length > 5000) return reply(400, fail('error-message-size-exceeded'));
      if (body.channel !== undefined && !fake.channels.has(String(body.channel))) return reply(400, fail('invalid-channel'));
      fake.accepted.push({ headers: req.headers, body, at: now });
      return reply(200, { success: true });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
