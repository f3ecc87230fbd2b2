import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Slack that checks requests as Slack's docs define them:
 * incoming webhooks (https://api.slack.com/messaging/webhooks) and
 * chat.postMessage (https://api.slack.com/methods/chat.postMessage), Block Kit
 * limits, and a per-webhook rate limit answered with 429 + Retry-After.
 */
export interface FakeSlack {
  url: string;
  webhookPath: string;
  token: string;
  accepted: {
    path: string;
    headers: IncomingMessage['headers'];
    body: Record<string, unknown>;
    at: number;
    ts?: string;
    updatedBy?: Record<string, unknown>;
  }[];
  rejected: { status: number; error: string }[];
  /** Requests that arrived while a Retry-After we sent had not expired. */
  earlyAfterRetry: number;
  /** Minimum spacing between accepted webhook messages (Slack: about 1 s). */
  minIntervalMs: number;
  retryAfterSeconds: number;
  /** Webhook requests (1-based arrival numbers) answered 429 regardless of spacing. */
  limitRequests: Set<number>;
  /** The fake's time source; tests with a virtual clock share it with Herald. */
  now: () => number;
  close(): Promise<void>;
}

const BLOCK_TYPES = new Set(['section', 'context', 'actions', 'header', 'divider', 'image', 'rich_text']);

function checkBlocks(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'invalid_blocks';
  if (blocks.length > 50) return 'invalid_blocks';
  for (const b of blocks as Record<string, unknown>[]) {
    if (!BLOCK_TYPES.has(String(b.type))) return 'invalid_blocks';
    const text = b.text as { type?: string; text?: string } | undefined;
    if (b.type === 'section') {
      if (!text && !b.fields) return 'invalid_blocks';
      if (text && (!['mrkdwn', 'plain_text'].includes(String(text.type)) || String(text.text).length > 3000)) return 'invalid_blocks';
      const fields = b.fields as { text: string }[] | undefined;
      if (fields && (fields.length > 10 || fields.some((f) => f.text.length > 2000))) return 'invalid_blocks';
    }
    if (b.type === 'actions') {
      const els = b.elements as { type: string; text: { type: string; text: string }; url?: string }[];
      if (!Array.isArray(els) || els.length > 25) return 'invalid_blocks';
      if (els.some((e) => e.type === 'button' && (e.text.type !== 'plain_text' || e.text.text.length > 75 || (e.url !== undefined && e.url.length > 3000))))
        return 'invalid_blocks';
    }
  }
  return undefined;
}

function checkMessage(body: Record<string, unknown>): string | undefined {
  if (typeof body.text !== 'string' && !body.blocks && !body.attachments) return 'no_text';
  if (typeof body.text === 'string' && body.text.length > 40_000) return 'msg_too_long';
  if (body.blocks) {
    const e = checkBlocks(body.blocks);
    if (e) return e;
  }
  if (body.attachments !== undefined) {
    if (!Array.isArray(body.attachments)) return 'invalid_attachments';
    for (const a of body.attachments as Record<string, unknown>[]) {
      if (a.color !== undefined && !/^#?[0-9A-Fa-f]{6}$|^(good|warning|danger)$/.test(String(a.color))) return 'invalid_attachments';
      if (a.blocks) {
        const e = checkBlocks(a.blocks);
        if (e) return e;
      }
    }
  }
  return undefined;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const fake: FakeSlack = {
    url: '',
    webhookPath: '/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    token: 'xoxb-test-token-123456',
    accepted: [],
    rejected: [],
    earlyAfterRetry: 0,
    minIntervalMs: 1000,
    retryAfterSeconds: 1,
    limitRequests: new Set(),
    now: () => Date.now(),
    close: async () => {},
  };
  let lastAcceptedAt = 0;
  let webhookRequests = 0;
  let messageSeq = 0;
  let blockedUntil = 0;
  const reply = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/plain', ...headers }).end(body);
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const now = fake.now();
      const reject = (status: number, error: string, headers?: Record<string, string>) => {
        fake.rejected.push({ status, error });
        reply(res, status, req.url?.startsWith('/api/') && status === 200 ? JSON.stringify({ ok: false, error }) : error, headers);
      };
      if (req.method !== 'POST') return reject(405, 'method_not_allowed');
      if (!String(req.headers['content-type']).startsWith('application/json')) return reject(400, 'invalid_payload');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return reject(400, 'invalid_payload');
      }
      if (req.url === fake.webhookPath) {
        webhookRequests++;
        if (now < blockedUntil) fake.earlyAfterRetry++;
        if (now - lastAcceptedAt < fake.minIntervalMs || fake.limitRequests.has(webhookRequests)) {
          blockedUntil = now + fake.retryAfterSeconds * 1000;
          return reject(429, 'rate_limited', { 'retry-after': String(fake.retryAfterSeconds) });
        }
        const problem = checkMessage(body);
        if (problem) return reject(400, problem);
        lastAcceptedAt = now;
        fake.accepted.push({ path: req.url, headers: req.headers, body, at: now });
        return reply(res, 200, 'ok');
      }
      if (req.url === '/api/chat.postMessage') {
        const auth = req.headers.authorization;
        if (!auth) return reject(200, 'not_authed');
        if (auth !== `Bearer ${fake.token}`) return reject(200, 'invalid_auth');
        if (typeof body.channel !== 'string' || body.channel === '') return reject(200, 'channel_not_found');
        const problem = checkMessage(body);
        if (problem) return reject(200, problem);
        const ts = `${Math.floor(now / 1000)}.${String(++messageSeq).padStart(6, '0')}`;
        fake.accepted.push({ path: req.url, headers: req.headers, body, at: now, ts });
        return reply(res, 200, JSON.stringify({ ok: true, channel: body.channel, ts }));
      }
      if (req.url === '/api/chat.update') {
        if (req.headers.authorization !== `Bearer ${fake.token}`) return reject(200, 'invalid_auth');
        const original = fake.accepted.find((a) => a.path === '/api/chat.postMessage' && a.ts === body.ts && a.body.channel === body.channel);
        if (!original) return reject(200, 'message_not_found');
        const problem = checkMessage(body);
        if (problem) return reject(200, problem);
        original.updatedBy = body;
        fake.accepted.push({ path: req.url, headers: req.headers, body, at: now });
        return reply(res, 200, JSON.stringify({ ok: true, channel: body.channel, ts: body.ts }));
      }
      return reject(404, 'no_service');
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
