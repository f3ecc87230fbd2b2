import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A Google Chat space's incoming webhook, as documented at
 * https://developers.google.com/workspace/chat/quickstart/webhooks and
 * https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages/create:
 * `POST /v1/spaces/{space}/messages?key=…&token=…`, JSON with `text` and/or
 * `cardsV2` (each `{cardId, card: {header, sections: [{widgets}]}}`), at most
 * 32,000 bytes; `thread.threadKey` (≤ 4,000 characters) only threads with
 * `messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD` (or
 * `REPLY_MESSAGE_OR_FAIL`), otherwise every message starts a thread. Answers
 * 200 with the created message (`name`, `thread.name`); errors are Google's
 * `{"error": {code, message, status}}`: 400 INVALID_ARGUMENT (unknown fields,
 * too large), 401 UNAUTHENTICATED (wrong token), 403 PERMISSION_DENIED
 * (webhook removed from the space), 429 RESOURCE_EXHAUSTED without
 * Retry-After (https://developers.google.com/workspace/chat/limits).
 */
export interface FakeGoogleChat {
  url: string;
  hookPath: string;
  accepted: { headers: IncomingMessage['headers']; query: Record<string, string>; body: Record<string, unknown>; thread: string; at: number }[];
  rejected: { status: number; body: unknown }[];
  /** Requests allowed per second (0: unlimited). */
  perSecond: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const gerr = (code: number, status: string, message: string) => ({ error: { code, message, status } });
const MESSAGE_FIELDS = new Set(['text', 'cardsV2', 'thread', 'fallbackText', 'accessoryWidgets', 'privateMessageViewer']);
const WIDGETS = new Set([
  'textParagraph',
  'decoratedText',
  'buttonList',
  'image',
  'divider',
  'grid',
  'columns',
  'selectionInput',
  'textInput',
  'dateTimePicker',
  'chipList',
]);

export function validateGoogleChatMessage(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const k of Object.keys(b))
    if (!MESSAGE_FIELDS.has(k)) errors.push(`Invalid JSON payload received. Unknown name "${k}" at 'message': Cannot find field.`);
  if (b.text === undefined && b.cardsV2 === undefined) errors.push('Message cannot be empty. Discarding empty message.');
  if (b.text !== undefined && typeof b.text !== 'string') errors.push('text must be a string');
  if (b.cardsV2 !== undefined) {
    if (!Array.isArray(b.cardsV2)) errors.push('cardsV2 must be a list');
    else
      for (const [i, c] of (b.cardsV2 as Record<string, unknown>[]).entries()) {
        const card = c.card as { header?: { title?: unknown }; sections?: { widgets?: Record<string, unknown>[] }[] } | undefined;
        if (typeof c.cardId !== 'string' || !card) errors.push(`cardsV2[${i}] needs cardId and card`);
        else {
          if (card.header && typeof card.header.title !== 'string') errors.push(`cardsV2[${i}].card.header.title must be a string`);
          for (const s of card.sections ?? [])
            for (const w of s.widgets ?? [])
              if (Object.keys(w).length !== 1 || !WIDGETS.has(Object.keys(w)[0] as string))
                errors.push(`cardsV2[${i}]: unknown widget ${Object.keys(w).join(',')}`);
        }
      }
  }
  const thread = b.thread as { threadKey?: unknown } | undefined;
  if (thread !== undefined && (typeof thread.threadKey !== 'string' || thread.threadKey.length > 4000))
    errors.push('thread.threadKey must be a string of at most 4000 characters');
  return errors;
}

export async function startFakeGoogleChat(): Promise<FakeGoogleChat> {
  const key = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
  const token = 'fakeWebhookToken-Zx9Qw3Er5Ty7Ui9OpA1sD3fG5hJ7kL9zX1cV3bN5m';
  const fake: FakeGoogleChat = {
    url: '',
    hookPath: `/v1/spaces/AAAAbCdEfGh/messages?key=${key}&token=${encodeURIComponent(token)}`,
    accepted: [],
    rejected: [],
    perSecond: 0,
    script: [],
    close: async () => {},
  };
  const threads = new Map<string, string>();
  let windowStart = 0;
  let used = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers }).end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams);
      if (req.method !== 'POST' || url.pathname !== '/v1/spaces/AAAAbCdEfGh/messages')
        return reply(404, gerr(404, 'NOT_FOUND', 'Requested entity was not found.'));
      if (fake.perSecond > 0) {
        if (now - windowStart >= 1000) {
          windowStart = now;
          used = 0;
        }
        if (used >= fake.perSecond)
          return reply(
            429,
            gerr(429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per space'"),
          );
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? gerr(scripted.status, 'SCRIPTED', 'scripted'), scripted.headers);
      if (query.key !== key) return reply(400, gerr(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.'));
      if (query.token !== token) return reply(401, gerr(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.'));
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return reply(400, gerr(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      const raw = Buffer.concat(chunks);
      if (raw.byteLength > 32_000) return reply(400, gerr(400, 'INVALID_ARGUMENT', 'Message too large: the maximum message size is 32,000 bytes.'));
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return reply(400, gerr(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
      }
      const problems = validateGoogleChatMessage(body);
      if (problems.length > 0) return reply(400, gerr(400, 'INVALID_ARGUMENT', problems.join('; ')));
      const threadKey = (body.thread as { threadKey?: string } | undefined)?.threadKey;
      const replies = query.messageReplyOption === 'REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD' || query.messageReplyOption === 'REPLY_MESSAGE_OR_FAIL';
      let thread = `spaces/AAAAbCdEfGh/threads/t${fake.accepted.length + 1}`;
      if (threadKey && replies) {
        thread = threads.get(threadKey) ?? thread;
        threads.set(threadKey, thread);
      }
      fake.accepted.push({ headers: req.headers, query, body, thread, at: now });
      return reply(200, {
        name: `spaces/AAAAbCdEfGh/messages/m${fake.accepted.length}`,
        sender: { name: 'users/114022495153014004089', type: 'BOT' },
        createTime: new Date(now).toISOString(),
        thread: { name: thread, ...(threadKey ? { threadKey } : {}) },
        space: { name: 'spaces/AAAAbCdEfGh', type: 'ROOM' },
      });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
