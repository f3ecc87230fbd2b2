import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Mattermost incoming webhook, as documented at
 * https://developers.mattermost.com/integrate/webhooks/incoming/ and
 * https://developers.mattermost.com/integrate/reference/message-attachments/:
 * POST /hooks/{key}, JSON (or `payload=` form without a JSON content type),
 * `text` and/or `attachments` required; answers 200 `ok`. Text longer than
 * 16,383 characters is split into several posts (the fake counts them). An
 * unknown key is 400 `web.incoming_webhook.invalid.app_error`; a post without
 * text or attachments 400 `web.incoming_webhook.text.app_error`; a channel
 * override on a locked webhook 403; and, with rate limiting on, 429 with
 * X-Ratelimit-* headers and Retry-After.
 */
export interface FakeMattermost {
  url: string;
  hookPath: string;
  key: string;
  accepted: { headers: IncomingMessage['headers']; body: Record<string, unknown>; posts: number; at: number }[];
  rejected: { status: number; body: unknown; at: number }[];
  earlyAfterRetry: number;
  /** Requests allowed per second (0: no rate limiting, as by default). */
  perSecond: number;
  /** The webhook is locked to its channel: a `channel` override is refused. */
  lockedToChannel: string | undefined;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  /** REST API: the bot's token, the channel it may post in, and the posts made or patched there. */
  token: string;
  channelId: string;
  posts: Map<string, { channel_id: string; message: string; props: Record<string, unknown>; edits: number }>;
  apiRequests: { method: string; path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

const MAX_POST = 16_383;

const appError = (id: string, message: string, status: number) => ({
  id,
  message,
  detailed_error: '',
  request_id: 'fake0request0id00000000000',
  status_code: status,
});

/** Problems with an incoming-webhook payload; empty when valid. */
export function validateMattermostPayload(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (b.text !== undefined && typeof b.text !== 'string') errors.push('text must be a string');
  for (const k of ['username', 'icon_url', 'icon_emoji', 'channel']) if (b[k] !== undefined && typeof b[k] !== 'string') errors.push(`${k} must be a string`);
  const atts = b.attachments as Record<string, unknown>[] | undefined;
  if (atts !== undefined) {
    if (!Array.isArray(atts)) errors.push('attachments must be an array');
    else
      for (const [i, a] of atts.entries()) {
        if (a.color !== undefined && !/^#[0-9A-Fa-f]{6}$|^(good|warning|danger)$/.test(String(a.color))) errors.push(`attachments[${i}].color is invalid`);
        for (const k of ['fallback', 'pretext', 'text', 'title', 'title_link', 'footer', 'author_name'])
          if (a[k] !== undefined && typeof a[k] !== 'string') errors.push(`attachments[${i}].${k} must be a string`);
        const fields = a.fields as { title?: unknown; value?: unknown; short?: unknown }[] | undefined;
        if (fields !== undefined) {
          if (!Array.isArray(fields)) errors.push(`attachments[${i}].fields must be an array`);
          else
            for (const [j, f] of fields.entries()) {
              if (typeof f.title !== 'string') errors.push(`attachments[${i}].fields[${j}].title must be a string`);
              if (typeof f.value !== 'string' && typeof f.value !== 'number') errors.push(`attachments[${i}].fields[${j}].value must be a string`);
              if (f.short !== undefined && typeof f.short !== 'boolean') errors.push(`attachments[${i}].fields[${j}].short must be a boolean`);
            }
        }
      }
  }
  return errors;
}

export async function startFakeMattermost(): Promise<FakeMattermost> {
  const key = 'xq7m3k9bz3fdtr8u1wa5nyc4he';
  const fake: FakeMattermost = {
    url: '',
    hookPath: `/hooks/${key}`,
    key,
    accepted: [],
    rejected: [],
    earlyAfterRetry: 0,
    perSecond: 0,
    lockedToChannel: undefined,
    script: [],
    token: 'xoxmmbottoken0123456789abc',
    channelId: 'q1w2e3r4t5y6u7i8o9p0a1s2d3',
    posts: new Map(),
    apiRequests: [],
    close: async () => {},
  };
  let postSeq = 0;
  let windowStart = 0;
  let used = 0;
  let blockedUntil = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body, at: now });
        const isText = typeof body === 'string';
        res
          .writeHead(status, { 'content-type': isText ? 'text/plain' : 'application/json', 'x-request-id': 'fake0request0id00000000000', ...headers })
          .end(isText ? body : JSON.stringify(body));
      };
      if ((req.url ?? '').startsWith('/api/v4/')) return restApi(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), reply);
      const m = /^\/hooks\/([a-z0-9]+)$/.exec(req.url ?? '');
      if (!m || req.method !== 'POST') return reply(404, appError('api.context.404.app_error', 'Sorry, we could not find the page.', 404));
      if (fake.perSecond > 0) {
        if (now < blockedUntil) fake.earlyAfterRetry++;
        if (now - windowStart >= 1000) {
          windowStart = now;
          used = 0;
        }
        const reset = Math.max(1, Math.ceil((windowStart + 1000 - now) / 1000));
        if (used >= fake.perSecond) {
          blockedUntil = now + reset * 1000;
          return reply(429, 'limit exceeded\n', {
            'x-ratelimit-limit': String(fake.perSecond),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(reset),
            'retry-after': String(reset),
          });
        }
        used++;
      }
      const scripted = fake.script.shift();
      if (scripted) return reply(scripted.status, scripted.body ?? appError('fake.scripted', 'scripted', scripted.status), scripted.headers);
      if (m[1] !== fake.key) return reply(400, appError('web.incoming_webhook.invalid.app_error', 'Invalid webhook.', 400));
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        const json = String(req.headers['content-type']).startsWith('application/json') ? raw : new URLSearchParams(raw).get('payload');
        body = JSON.parse(json ?? '') as Record<string, unknown>;
      } catch {
        return reply(400, appError('web.incoming_webhook.parse.app_error', 'Unable to parse incoming data.', 400));
      }
      const problems = validateMattermostPayload(body);
      if (problems.length > 0) return reply(400, appError('web.incoming_webhook.parse.app_error', problems.join('; '), 400));
      const text = typeof body.text === 'string' ? body.text : '';
      if (text === '' && !(Array.isArray(body.attachments) && body.attachments.length > 0))
        return reply(400, appError('web.incoming_webhook.text.app_error', 'No text specified.', 400));
      if (fake.lockedToChannel && body.channel !== undefined && body.channel !== fake.lockedToChannel)
        return reply(403, appError('web.incoming_webhook.channel_locked.app_error', 'This webhook is not permitted to post to the requested channel.', 403));
      fake.accepted.push({ headers: req.headers, body, posts: Math.max(1, Math.ceil([...text].length / MAX_POST)), at: now });
      return reply(200, 'ok');
    });
  });
  /**
   * The REST API's posts (https://developers.mattermost.com/api-documentation/#/operations/CreatePost,
   * …/PatchPost): bearer token, JSON; create answers 201 with the post, patch 200; an unknown post 404.
   */
  function restApi(
    method: string,
    url: string,
    headers: IncomingMessage['headers'],
    raw: string,
    reply: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ) {
    if (headers.authorization !== `Bearer ${fake.token}`)
      return reply(401, appError('api.context.session_expired.app_error', 'Invalid or expired session, please login again.', 401));
    if (!String(headers['content-type']).startsWith('application/json'))
      return reply(400, appError('api.context.invalid_body_param.app_error', 'Invalid or missing post in request body.', 400));
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return reply(400, appError('api.context.invalid_body_param.app_error', 'Invalid or missing post in request body.', 400));
    }
    fake.apiRequests.push({ method, path: url, body });
    const props = (body.props ?? {}) as Record<string, unknown>;
    const problems = validateMattermostPayload({ attachments: props.attachments });
    if (typeof body.message !== 'string' || problems.length > 0)
      return reply(400, appError('api.context.invalid_body_param.app_error', problems.join('; ') || 'message must be a string', 400));
    if (method === 'POST' && url === '/api/v4/posts') {
      if (body.channel_id !== fake.channelId)
        return reply(403, appError('api.context.permissions.app_error', 'You do not have the appropriate permissions.', 403));
      const id = `p${String(++postSeq).padStart(25, '0')}`;
      fake.posts.set(id, { channel_id: fake.channelId, message: body.message, props, edits: 0 });
      return reply(201, { id, channel_id: fake.channelId, message: body.message, props, create_at: Date.now(), update_at: Date.now() });
    }
    const patch = /^\/api\/v4\/posts\/([a-z0-9]{26})\/patch$/.exec(url);
    if (method === 'PUT' && patch) {
      const existing = fake.posts.get(patch[1] as string);
      if (!existing) return reply(404, appError('app.post.get.app_error', 'Unable to get the post.', 404));
      Object.assign(existing, { message: body.message, props, edits: existing.edits + 1 });
      return reply(200, { id: patch[1], channel_id: existing.channel_id, message: body.message, props, update_at: Date.now() });
    }
    return reply(404, appError('api.context.404.app_error', 'Sorry, we could not find the page.', 404));
  }
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
