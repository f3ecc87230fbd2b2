import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Telegram Bot API that checks `sendMessage` as documented
 * (https://core.telegram.org/bots/api#sendmessage, #html-style, #making-requests):
 * `POST /bot<token>/sendMessage` with JSON; `chat_id` and `text` required; in
 * HTML parse mode only Telegram's tags, balanced, and `<`, `>`, `&` escaped
 * elsewhere; `text` 1–4,096 characters after entities parsing. Answers
 * `{ok: true, result: Message}` or `{ok: false, error_code, description,
 * parameters?}` with the same HTTP status, including 429 with
 * `parameters.retry_after` when a chat gets messages faster than allowed.
 */
export interface FakeTelegram {
  url: string;
  token: string;
  accepted: { chatId: unknown; body: Record<string, unknown>; headers: IncomingMessage['headers']; at: number; plain: string }[];
  rejected: { status: number; description: string; body?: unknown }[];
  /** Chats the bot may write to; others answer 400 "chat not found". */
  chats: Set<string>;
  /** Chats that blocked the bot: 403. */
  blocked: Set<string>;
  /** Minimum spacing between messages to one chat; faster ones get 429. */
  minIntervalMs: number;
  retryAfterSeconds: number;
  /** Requests that arrived before a retry_after we sent had expired. */
  earlyAfterRetry: number;
  /** Scripted answers used first. */
  script: { status: number; body: unknown }[];
  close(): Promise<void>;
}

const TAGS: Record<string, (attrs: string) => boolean> = {
  b: (a) => a === '',
  strong: (a) => a === '',
  i: (a) => a === '',
  em: (a) => a === '',
  u: (a) => a === '',
  ins: (a) => a === '',
  s: (a) => a === '',
  strike: (a) => a === '',
  del: (a) => a === '',
  'tg-spoiler': (a) => a === '',
  span: (a) => /^class="tg-spoiler"$/.test(a),
  a: (a) => /^href="[^"]*"$/.test(a),
  'tg-emoji': (a) => /^emoji-id="\d+"$/.test(a),
  code: (a) => a === '' || /^class="language-[\w+-]+"$/.test(a),
  pre: (a) => a === '',
  blockquote: (a) => a === '' || a === 'expandable',
};
const ENTITY = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);/;

/** Parses Telegram HTML; returns the plain text or the error Telegram gives. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = '';
  let i = 0;
  while (i < html.length) {
    const c = html[i] as string;
    if (c === '<') {
      const m = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>/.exec(html.slice(i));
      if (!m) return { error: `Bad Request: can't parse entities: Unsupported start tag at byte offset ${i}` };
      const [whole, slash, rawName, rawAttrs] = m as unknown as [string, string, string, string];
      const name = rawName.toLowerCase();
      const check = TAGS[name];
      if (!check) return { error: `Bad Request: can't parse entities: Unsupported start tag "${name}" at byte offset ${i}` };
      if (slash) {
        if (stack.pop() !== name)
          return { error: `Bad Request: can't parse entities: Unmatched end tag at byte offset ${i}, expected "</${stack.at(-1) ?? ''}>", found "</${name}>"` };
      } else {
        if (!check(rawAttrs.trim())) return { error: `Bad Request: can't parse entities: Unsupported attribute in "${name}" at byte offset ${i}` };
        stack.push(name);
      }
      i += whole.length;
      continue;
    }
    if (c === '>') return { error: `Bad Request: can't parse entities: Unexpected end tag at byte offset ${i}` };
    if (c === '&') {
      const m = ENTITY.exec(html.slice(i));
      if (!m) return { error: `Bad Request: can't parse entities: Unsupported HTML entity at byte offset ${i}` };
      const e = m[1] as string;
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"' };
      text += named[e] ?? String.fromCodePoint(e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)));
      i += m[0].length;
      continue;
    }
    text += c;
    i++;
  }
  if (stack.length > 0) return { error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { text };
}

export async function startFakeTelegram(token = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq'): Promise<FakeTelegram> {
  const fake: FakeTelegram = {
    url: '',
    token,
    accepted: [],
    rejected: [],
    chats: new Set(['-1001234567890', '@herald_alerts', '42']),
    blocked: new Set(),
    minIntervalMs: 0,
    retryAfterSeconds: 1,
    earlyAfterRetry: 0,
    script: [],
    close: async () => {},
  };
  const lastAt = new Map<string, number>();
  let retryUntil = 0;
  let messageId = 100;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const fail = (status: number, description: string, parameters?: Record<string, unknown>) => {
        const body = { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) };
        fake.rejected.push({ status, description, body });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
      if (!m || !/^\d+:[\w-]+$/.test(m[1] as string)) return fail(404, 'Not Found');
      if (m[1] !== fake.token) return fail(401, 'Unauthorized');
      if (m[2] !== 'sendMessage') return fail(404, 'Not Found: method not found');
      if (req.method !== 'POST') return fail(405, 'Method Not Allowed');
      if (!String(req.headers['content-type']).startsWith('application/json')) return fail(400, 'Bad Request: message text is empty');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return fail(400, "Bad Request: can't parse JSON");
      }
      const scripted = fake.script.shift();
      if (scripted) {
        fake.rejected.push({ status: scripted.status, description: 'scripted', body: scripted.body });
        return res.writeHead(scripted.status, { 'content-type': 'application/json' }).end(JSON.stringify(scripted.body));
      }
      if (now < retryUntil) fake.earlyAfterRetry++;
      const chat = body.chat_id;
      if (chat === undefined || chat === '') return fail(400, 'Bad Request: chat_id is empty');
      if (typeof chat !== 'number' && typeof chat !== 'string') return fail(400, 'Bad Request: invalid chat_id');
      const chatKey = String(chat);
      if (!fake.chats.has(chatKey)) return fail(400, 'Bad Request: chat not found');
      if (fake.blocked.has(chatKey)) return fail(403, 'Forbidden: bot was blocked by the user');
      if (body.message_thread_id !== undefined && !Number.isInteger(body.message_thread_id)) return fail(400, 'Bad Request: invalid message_thread_id');
      if (body.parse_mode !== undefined && !['HTML', 'MarkdownV2', 'Markdown'].includes(String(body.parse_mode)))
        return fail(400, 'Bad Request: unsupported parse_mode');
      if (body.link_preview_options !== undefined && (typeof body.link_preview_options !== 'object' || body.link_preview_options === null))
        return fail(400, "Bad Request: can't parse link preview options");
      if (typeof body.text !== 'string' || body.text.trim() === '') return fail(400, 'Bad Request: message text is empty');
      let plain = body.text;
      if (body.parse_mode === 'HTML') {
        const parsed = parseTelegramHtml(body.text);
        if ('error' in parsed) return fail(400, parsed.error);
        plain = parsed.text;
      }
      if (plain.trim() === '') return fail(400, 'Bad Request: message text is empty');
      if (plain.length > 4096) return fail(400, 'Bad Request: message is too long');
      const prev = lastAt.get(chatKey);
      if (prev !== undefined && now - prev < fake.minIntervalMs) {
        retryUntil = now + fake.retryAfterSeconds * 1000;
        return fail(429, `Too Many Requests: retry after ${fake.retryAfterSeconds}`, { retry_after: fake.retryAfterSeconds });
      }
      lastAt.set(chatKey, now);
      fake.accepted.push({ chatId: chat, body, headers: req.headers, at: now, plain });
      const result = {
        message_id: ++messageId,
        date: Math.floor(now / 1000),
        chat: { id: typeof chat === 'number' ? chat : -1001234567890, type: 'supergroup' },
        text: plain,
      };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
    });
  };
  const listening = await listenLoopback(createServer(handler));
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
