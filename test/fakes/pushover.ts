import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Pushover Message API that checks requests as documented
 * (https://pushover.net/api): `POST /1/messages.json`, form-encoded or JSON;
 * `token` and `user` (30 characters) required and known; `message` 1–1,024
 * characters; `title` ≤ 250, `url` ≤ 512, `url_title` ≤ 100; `priority` −2…2,
 * and for 2 `retry` ≥ 30 and `expire` ≤ 10,800; `html` 1 with only the tags
 * Pushover renders (b, i, u, font color, a href) and escaped text. Answers
 * `{status: 1, request}` with X-Limit-App-* headers, or 4xx `{status: 0,
 * errors, request}`; 429 when the monthly quota is used up. Emergency
 * messages get a 30-character `receipt`, which
 * `POST /1/receipts/{receipt}/cancel.json` (form `token`) cancels; an unknown
 * receipt answers 404 (https://pushover.net/api/receipts#cancel).
 */
export interface FakePushover {
  url: string;
  token: string;
  user: string;
  accepted: { fields: Record<string, string>; headers: IncomingMessage['headers'] }[];
  rejected: { status: number; errors: string[] }[];
  /** Messages left this month; at 0 the fake answers 429. */
  remaining: number;
  /** Unix time the quota resets (X-Limit-App-Reset). */
  reset: number;
  script: { status: number; body?: unknown }[];
  /** Emergency receipts issued, and whether each was cancelled (`POST /1/receipts/{receipt}/cancel.json`). */
  receipts: Map<string, { cancelled: boolean; message: string | undefined }>;
  close(): Promise<void>;
}

const HTML_TAG = /<\/?(b|i|u|font|a)(\s+(color="#?[0-9A-Za-z]+"|href="[^"<>]*"))?\s*>/y;

export function checkPushoverHtml(html: string): string | undefined {
  const stack: string[] = [];
  for (let i = 0; i < html.length; ) {
    const c = html[i];
    if (c === '<') {
      HTML_TAG.lastIndex = i;
      const m = HTML_TAG.exec(html);
      if (!m) return `message contains an unsupported or unescaped tag at ${i}`;
      const name = m[1] as string;
      if (m[0].startsWith('</')) {
        if (stack.pop() !== name) return `message has an unbalanced </${name}> at ${i}`;
      } else stack.push(name);
      i += m[0].length;
      continue;
    }
    if (c === '>') return `message contains an unescaped > at ${i}`;
    if (c === '&' && !/^&(lt|gt|amp|quot|#\d+);/.test(html.slice(i))) return `message contains an unescaped & at ${i}`;
    i++;
  }
  return stack.length ? `message leaves <${stack.at(-1)}> open` : undefined;
}

export function validatePushover(f: Record<string, string>, token: string, user: string): string[] {
  const e: string[] = [];
  if (!f.token) e.push('application token is invalid');
  else if (f.token !== token) e.push('application token is invalid');
  if (!f.user) e.push('user identifier is invalid');
  else if (f.user !== user) e.push('user identifier is not a valid user, group, or subscribed user key');
  if (!f.message || f.message.trim() === '') e.push('message cannot be blank');
  else if ([...f.message].length > 1024) e.push('message is too long (1024 characters maximum)');
  if (f.title !== undefined && [...f.title].length > 250) e.push('title is too long (250 characters maximum)');
  if (f.url !== undefined && f.url.length > 512) e.push('url is too long (512 characters maximum)');
  if (f.url_title !== undefined && f.url_title.length > 100) e.push('url_title is too long (100 characters maximum)');
  if (f.priority !== undefined && !/^(-2|-1|0|1|2)$/.test(f.priority)) e.push('priority is invalid');
  if (f.priority === '2') {
    if (!f.retry || Number(f.retry) < 30) e.push('retry must be at least 30 seconds');
    if (!f.expire || Number(f.expire) > 10800) e.push('expire must be supplied and at most 10800 seconds');
  }
  if (f.html !== undefined && f.html !== '1' && f.html !== '0') e.push('html is invalid');
  if (f.html === '1' && f.message) {
    const bad = checkPushoverHtml(f.message);
    if (bad) e.push(bad);
  }
  if (f.timestamp !== undefined && !/^\d+$/.test(f.timestamp)) e.push('timestamp is invalid');
  return e;
}

export async function startFakePushover(): Promise<FakePushover> {
  const fake: FakePushover = {
    url: '',
    token: 'azGDORePK8gMaC0QOYAMyEEuzJnyUi',
    user: 'uQiRzpo4DXghDmr9QzzfQu27cmVRsG',
    accepted: [],
    rejected: [],
    remaining: 10_000,
    reset: Math.floor(Date.now() / 1000) + 3,
    script: [],
    receipts: new Map(),
    close: async () => {},
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = randomUUID();
      const limits = { 'x-limit-app-limit': '10000', 'x-limit-app-remaining': String(fake.remaining), 'x-limit-app-reset': String(fake.reset) };
      const fail = (status: number, errors: string[], headers: Record<string, string> = {}) => {
        fake.rejected.push({ status, errors });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ status: 0, errors, request }));
      };
      const raw = Buffer.concat(chunks).toString('utf8');
      const cancel = /^\/1\/receipts\/([A-Za-z0-9]{30})\/cancel\.json$/.exec(req.url ?? '');
      if (req.method === 'POST' && cancel) {
        const f = Object.fromEntries(new URLSearchParams(raw));
        if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded') || f.token !== fake.token)
          return fail(400, ['application token is invalid']);
        const receipt = fake.receipts.get(cancel[1] as string);
        if (!receipt) return fail(404, ['receipt not found; may be invalid or expired']);
        receipt.cancelled = true;
        return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 1, request }));
      }
      if (req.method !== 'POST' || req.url !== '/1/messages.json') return fail(404, ['not found']);
      const type = String(req.headers['content-type']);
      let fields: Record<string, string>;
      if (type.startsWith('application/x-www-form-urlencoded')) fields = Object.fromEntries(new URLSearchParams(raw));
      else if (type.startsWith('application/json')) {
        try {
          fields = Object.fromEntries(Object.entries(JSON.parse(raw) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        } catch {
          return fail(400, ['invalid JSON']);
        }
      } else return fail(400, ['application token is invalid']);
      const scripted = fake.script.shift();
      if (scripted) {
        fake.rejected.push({ status: scripted.status, errors: ['scripted'] });
        return res
          .writeHead(scripted.status, { 'content-type': 'application/json', ...limits })
          .end(JSON.stringify(scripted.body ?? { status: 0, errors: ['scripted'], request }));
      }
      const errors = validatePushover(fields, fake.token, fake.user);
      if (errors.length > 0) return fail(400, errors);
      // The quota resets at X-Limit-App-Reset (Pushover: the start of the month).
      if (fake.remaining <= 0 && Date.now() >= fake.reset * 1000) {
        fake.remaining = 10_000;
        fake.reset += 31 * 86_400;
      }
      if (fake.remaining <= 0) return fail(429, ['application has exceeded its monthly message limit'], limits);
      fake.remaining--;
      fake.accepted.push({ fields, headers: req.headers });
      const body: Record<string, unknown> = { status: 1, request };
      if (fields.priority === '2') {
        body.receipt = randomUUID().replace(/-/g, '').slice(0, 30);
        fake.receipts.set(body.receipt as string, { cancelled: false, message: fields.message });
      }
      res.writeHead(200, { 'content-type': 'application/json', ...limits, 'x-limit-app-remaining': String(fake.remaining) }).end(JSON.stringify(body));
    });
  };
  const listening = await listenLoopback(createServer(handler));
  fake.url = `${listening.url}/1/messages.json`;
  fake.close = listening.close;
  return fake;
}
