import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Discord that checks Execute Webhook requests as Discord documents
 * them (https://discord.com/developers/docs/resources/webhook#execute-webhook):
 * POST /api/webhooks/{id}/{token}, JSON, content ≤ 2,000, ≤ 10 embeds with the
 * embed limits (title 256, description 4,096, 25 fields of 256/1,024, footer
 * 2,048, 6,000 in total), username rules and allowed_mentions. It answers like
 * Discord: 200 + the message with ?wait=true, else 204; 400 code 50035
 * (Invalid Form Body) with the failing fields; 401 50027 for a wrong token;
 * 404 10015 for an unknown webhook; and a per-webhook rate-limit bucket
 * reported in X-RateLimit-* headers, answered with 429 + retry_after (float
 * seconds) in the body and Retry-After (whole seconds) in the header
 * (https://discord.com/developers/docs/topics/rate-limits). Edit Webhook
 * Message (PATCH …/messages/{id}, same validation) changes a saved message;
 * an unknown one answers 404 code 10008
 * (https://discord.com/developers/docs/resources/webhook#edit-webhook-message).
 */
export interface FakeDiscord {
  url: string;
  /** /api/webhooks/{id}/{token} of the one webhook that exists. */
  webhookPath: string;
  token: string;
  accepted: { method: string; path: string; query: URLSearchParams; headers: IncomingMessage['headers']; body: Record<string, unknown>; at: number }[];
  /** Messages saved (posted with wait=true), by id; edits replace the content. */
  messages: Map<string, Record<string, unknown>>;
  rejected: { status: number; body: unknown; at: number }[];
  /** Requests that arrived while a 429 we sent had not expired. */
  earlyAfterRetry: number;
  /** Bucket size and window of the per-webhook limit. */
  bucketLimit: number;
  bucketWindowMs: number;
  /** Scripted answers, used first, e.g. [{status: 500}, {status: 429, retryAfter: 0.25, header: '1'}]. */
  script: { status: number; body?: unknown; retryAfter?: number; header?: string }[];
  close(): Promise<void>;
}

const MENTION_TYPES = new Set(['roles', 'users', 'everyone']);

/** The errors Discord's form validation would report, keyed by field path; empty when valid. */
export function validateExecuteWebhook(b: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  const str = (v: unknown) => typeof v === 'string';
  if (b.content !== undefined && (!str(b.content) || (b.content as string).length > 2000)) errors.content = 'Must be 2000 or fewer in length.';
  if (b.username !== undefined) {
    if (!str(b.username) || (b.username as string).length < 1 || (b.username as string).length > 80) errors.username = 'Must be between 1 and 80 in length.';
    else if (/discord|clyde/i.test(b.username as string)) errors.username = 'Username cannot contain "discord"';
  }
  if (b.avatar_url !== undefined && (!str(b.avatar_url) || !/^https?:\/\//.test(b.avatar_url as string))) errors.avatar_url = 'Not a well formed URL.';
  const embeds = b.embeds as Record<string, unknown>[] | undefined;
  if (embeds !== undefined) {
    if (!Array.isArray(embeds) || embeds.length > 10) errors.embeds = 'Must be 10 or fewer in length.';
    else {
      let total = 0;
      embeds.forEach((e, i) => {
        const p = `embeds.${i}`;
        const len = (v: unknown) => (typeof v === 'string' ? v.length : 0);
        if (e.title !== undefined && (!str(e.title) || len(e.title) > 256)) errors[`${p}.title`] = 'Must be 256 or fewer in length.';
        if (e.description !== undefined && (!str(e.description) || len(e.description) > 4096)) errors[`${p}.description`] = 'Must be 4096 or fewer in length.';
        if (e.url !== undefined && (!str(e.url) || !/^https?:\/\/\S+$/.test(e.url as string))) errors[`${p}.url`] = 'Scheme must be one of (http, https).';
        if (e.color !== undefined && (!Number.isInteger(e.color) || (e.color as number) < 0 || (e.color as number) > 0xffffff))
          errors[`${p}.color`] = 'Value must be between 0 and 16777215.';
        if (e.timestamp !== undefined && (!str(e.timestamp) || Number.isNaN(Date.parse(e.timestamp as string))))
          errors[`${p}.timestamp`] = 'Could not interpret as ISO8601 timestamp.';
        const footer = e.footer as { text?: unknown } | undefined;
        if (footer !== undefined && (!str(footer.text) || len(footer.text) < 1 || len(footer.text) > 2048))
          errors[`${p}.footer.text`] = 'Must be between 1 and 2048 in length.';
        const fields = e.fields as { name?: unknown; value?: unknown; inline?: unknown }[] | undefined;
        if (fields !== undefined) {
          if (!Array.isArray(fields) || fields.length > 25) errors[`${p}.fields`] = 'Must be 25 or fewer in length.';
          else
            fields.forEach((f, j) => {
              if (!str(f.name) || len(f.name) < 1 || len(f.name) > 256) errors[`${p}.fields.${j}.name`] = 'Must be between 1 and 256 in length.';
              if (!str(f.value) || len(f.value) < 1 || len(f.value) > 1024) errors[`${p}.fields.${j}.value`] = 'Must be between 1 and 1024 in length.';
              if (f.inline !== undefined && typeof f.inline !== 'boolean') errors[`${p}.fields.${j}.inline`] = 'Must be a boolean.';
              total += len(f.name) + len(f.value);
            });
        }
        total += len(e.title) + len(e.description) + len(footer?.text) + len((e.author as { name?: unknown } | undefined)?.name);
      });
      if (total > 6000) errors.embeds = 'Embed size exceeds maximum size of 6000';
    }
  }
  const am = b.allowed_mentions as { parse?: unknown; users?: unknown; roles?: unknown } | undefined;
  if (am !== undefined) {
    if (typeof am !== 'object' || am === null) errors.allowed_mentions = 'Must be an object.';
    else if (am.parse !== undefined && (!Array.isArray(am.parse) || am.parse.some((t) => !MENTION_TYPES.has(String(t)))))
      errors['allowed_mentions.parse'] = 'Value must be one of (roles, users, everyone).';
  }
  const hasContent = (str(b.content) && (b.content as string).length > 0) || (Array.isArray(embeds) && embeds.length > 0) || b.components || b.poll;
  if (!hasContent && Object.keys(errors).length === 0) errors._ = 'Cannot send an empty message';
  return errors;
}

export async function startFakeDiscord(): Promise<FakeDiscord> {
  const fake: FakeDiscord = {
    url: '',
    webhookPath: '/api/webhooks/1180000000000000001/dWViaG9va1Rva2VuLXNlY3JldC0xMjM0NTY3ODkw',
    token: 'dWViaG9va1Rva2VuLXNlY3JldC0xMjM0NTY3ODkw',
    accepted: [],
    rejected: [],
    earlyAfterRetry: 0,
    bucketLimit: 5,
    bucketWindowMs: 2000,
    script: [],
    messages: new Map(),
    close: async () => {},
  };
  let windowStart = 0;
  let used = 0;
  let blockedUntil = 0;
  let messageSeq = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const url = new URL(req.url ?? '/', 'http://x');
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body, at: now });
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers }).end(text || undefined);
      };
      // Execute Webhook is POST on the webhook; Edit Webhook Message is PATCH on …/messages/{message.id}.
      const m = /^\/api\/webhooks\/(\d+)\/([^/]+?)(?:\/messages\/(\d+))?$/.exec(url.pathname);
      const editing = m?.[3];
      if (req.method !== (editing ? 'PATCH' : 'POST')) return answer(405, { message: '405: Method Not Allowed', code: 0 });
      if (!m || m[1] !== fake.webhookPath.split('/')[3]) {
        return answer(404, { message: 'Unknown Webhook', code: 10015 });
      }
      if (m[2] !== fake.token) return answer(401, { message: 'Invalid Webhook Token', code: 50027 });
      // The per-webhook bucket, as X-RateLimit-* headers report it.
      if (now < blockedUntil) fake.earlyAfterRetry++;
      if (now - windowStart >= fake.bucketWindowMs) {
        windowStart = now;
        used = 0;
      }
      const resetAfter = (windowStart + fake.bucketWindowMs - now) / 1000;
      const rl = (remaining: number) => ({
        'x-ratelimit-limit': String(fake.bucketLimit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': ((windowStart + fake.bucketWindowMs) / 1000).toFixed(3),
        'x-ratelimit-reset-after': resetAfter.toFixed(3),
        'x-ratelimit-bucket': 'fakebucket0001',
      });
      const scripted = fake.script.shift();
      if (scripted?.status === 429 || (!scripted && used >= fake.bucketLimit)) {
        const retryAfter = scripted?.retryAfter ?? resetAfter;
        blockedUntil = now + retryAfter * 1000;
        return answer(
          429,
          { message: 'You are being rate limited.', retry_after: retryAfter, global: false },
          { ...rl(0), 'retry-after': scripted?.header ?? String(Math.ceil(retryAfter)), 'x-ratelimit-scope': 'user' },
        );
      }
      if (scripted) return answer(scripted.status, scripted.body ?? { message: 'scripted', code: 0 });
      used++;
      if (!String(req.headers['content-type']).startsWith('application/json')) {
        return answer(400, { message: 'Cannot send an empty message', code: 50006 }, rl(fake.bucketLimit - used));
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return answer(400, { message: 'The request body contains invalid JSON.', code: 50109 }, rl(fake.bucketLimit - used));
      }
      if (editing && !fake.messages.has(editing)) return answer(404, { message: 'Unknown Message', code: 10008 }, rl(fake.bucketLimit - used));
      const errors = validateExecuteWebhook(body);
      if (errors._) return answer(400, { message: errors._, code: 50006 }, rl(fake.bucketLimit - used));
      if (Object.keys(errors).length > 0) return answer(400, { message: 'Invalid Form Body', code: 50035, errors }, rl(fake.bucketLimit - used));
      fake.accepted.push({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, body, at: now });
      if (editing) {
        fake.messages.set(editing, { ...fake.messages.get(editing), ...body });
        return answer(
          200,
          { id: editing, type: 0, channel_id: '1180000000000000002', webhook_id: m[1], ...fake.messages.get(editing) },
          rl(fake.bucketLimit - used),
        );
      }
      if (url.searchParams.get('wait') !== 'true') return answer(204, undefined, rl(fake.bucketLimit - used));
      const id = String(1180000000000100000n + BigInt(++messageSeq));
      fake.messages.set(id, body);
      return answer(
        200,
        { id, type: 0, channel_id: '1180000000000000002', webhook_id: m[1], content: body.content ?? '', embeds: body.embeds ?? [] },
        rl(fake.bucketLimit - used),
      );
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
