import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Power Automate / Teams Workflows webhook: the "When a Teams webhook
 * request is received" trigger URL
 * (…/workflows/{id}/triggers/manual/paths/invoke?api-version=…&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=…).
 * It checks the request as Teams documents it
 * (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using):
 * POST, JSON, `{type: "message", attachments: [{contentType:
 * "application/vnd.microsoft.card.adaptive", contentUrl: null, content: AdaptiveCard}]}`,
 * a well-formed card (TextBlock/FactSet/Container body, Action.OpenUrl
 * actions with http(s) URLs), at most 28 KB; answers 202 Accepted; 401 for a
 * missing or wrong `sig`; 400 for a malformed request; 413 above 28 KB; and
 * 429 + Retry-After above a per-window request limit.
 */
export interface FakeTeams {
  url: string;
  /** The full trigger path and query, signature included. */
  triggerPath: string;
  sig: string;
  accepted: { headers: IncomingMessage['headers']; body: Record<string, unknown>; bytes: number; at: number }[];
  rejected: { status: number; body: unknown; at: number }[];
  earlyAfterRetry: number;
  /** At most this many accepted requests per `windowMs`; more are answered 429. */
  limit: number;
  windowMs: number;
  retryAfterSeconds: number;
  script: { status: number; body?: unknown; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const ELEMENTS = new Set(['TextBlock', 'FactSet', 'Container', 'ColumnSet', 'Image', 'RichTextBlock']);
const COLOURS = new Set(['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention']);

/** Problems with a Workflows Adaptive Card request; empty when it is one. */
export function validateTeamsMessage(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (b.type !== 'message') errors.push("'type' must be 'message'");
  const atts = b.attachments as Record<string, unknown>[] | undefined;
  if (!Array.isArray(atts) || atts.length === 0) return [...errors, "'attachments' must be a non-empty array"];
  for (const [i, a] of atts.entries()) {
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive')
      errors.push(`attachments[${i}].contentType must be application/vnd.microsoft.card.adaptive`);
    if (!('contentUrl' in a) || a.contentUrl !== null) errors.push(`attachments[${i}].contentUrl must be null`);
    const c = a.content as Record<string, unknown> | undefined;
    if (c?.type !== 'AdaptiveCard') {
      errors.push(`attachments[${i}].content.type must be AdaptiveCard`);
      continue;
    }
    if (c.$schema !== 'http://adaptivecards.io/schemas/adaptive-card.json') errors.push(`attachments[${i}].content.$schema is missing`);
    if (typeof c.version !== 'string' || !/^1\.[0-6]$/.test(c.version)) errors.push(`attachments[${i}].content.version must be 1.0–1.6`);
    const body = c.body as Record<string, unknown>[] | undefined;
    if (!Array.isArray(body) || body.length === 0) errors.push(`attachments[${i}].content.body must be a non-empty array`);
    else
      body.forEach((e, j) => {
        const p = `attachments[${i}].content.body[${j}]`;
        if (!ELEMENTS.has(String(e.type))) errors.push(`${p}.type ${String(e.type)} is unknown`);
        if (e.type === 'TextBlock') {
          if (typeof e.text !== 'string' || e.text === '') errors.push(`${p}.text must be a non-empty string`);
          if (e.color !== undefined && !COLOURS.has(String(e.color))) errors.push(`${p}.color is invalid`);
        }
        if (e.type === 'FactSet') {
          const facts = e.facts as { title?: unknown; value?: unknown }[];
          if (!Array.isArray(facts) || facts.some((f) => typeof f.title !== 'string' || typeof f.value !== 'string'))
            errors.push(`${p}.facts must be {title, value} strings`);
        }
      });
    const actions = c.actions as Record<string, unknown>[] | undefined;
    if (actions !== undefined) {
      if (!Array.isArray(actions) || actions.length > 6) errors.push(`attachments[${i}].content.actions: at most 6`);
      else
        actions.forEach((x, j) => {
          if (x.type !== 'Action.OpenUrl') errors.push(`actions[${j}].type must be Action.OpenUrl`);
          if (typeof x.url !== 'string' || !/^https?:\/\//.test(x.url)) errors.push(`actions[${j}].url must be an http(s) URL`);
          if (typeof x.title !== 'string' || x.title === '') errors.push(`actions[${j}].title must be a string`);
        });
    }
  }
  return errors;
}

export async function startFakeTeams(): Promise<FakeTeams> {
  const sig = 'Wf7Kp2sQxN4bR8tY1uV6zA3cE9gH5jL0mOqS-abcd';
  const fake: FakeTeams = {
    url: '',
    triggerPath: `/workflows/5c3b0b9e8a2f4d6c9e1a7b3d2f4e6a8c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`,
    sig,
    accepted: [],
    rejected: [],
    earlyAfterRetry: 0,
    limit: 1000,
    windowMs: 1000,
    retryAfterSeconds: 1,
    script: [],
    close: async () => {},
  };
  let windowStart = 0;
  let used = 0;
  let blockedUntil = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      const raw = Buffer.concat(chunks);
      const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
        if (status >= 300) fake.rejected.push({ status, body, at: now });
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers }).end(text || undefined);
      };
      const url = new URL(req.url ?? '/', 'http://x');
      const expected = new URL(fake.triggerPath, 'http://x');
      if (url.pathname !== expected.pathname) return answer(404, { error: { code: 'WorkflowNotFound', message: 'The workflow was not found.' } });
      if (req.method !== 'POST') return answer(405, { error: { code: 'MethodNotAllowed', message: 'The HTTP method is not allowed.' } });
      if (!url.searchParams.get('api-version'))
        return answer(400, { error: { code: 'MissingApiVersionParameter', message: 'The api-version query parameter is required.' } });
      if (!url.searchParams.get('sig'))
        return answer(401, { error: { code: 'DirectApiAuthorizationRequired', message: 'The request must be authenticated only by Shared Access scheme.' } });
      if (url.searchParams.get('sig') !== fake.sig || url.searchParams.get('sp') !== '/triggers/manual/run' || url.searchParams.get('sv') !== '1.0')
        return answer(401, { error: { code: 'DirectApiInvalidAuthorizationSignature', message: 'The provided authentication token is not valid.' } });
      if (now < blockedUntil) fake.earlyAfterRetry++;
      const scripted = fake.script.shift();
      if (scripted) {
        if (scripted.status === 429) blockedUntil = now + Number(scripted.headers?.['retry-after'] ?? 0) * 1000;
        return answer(scripted.status, scripted.body ?? { error: { code: 'Scripted', message: 'scripted' } }, scripted.headers);
      }
      if (now - windowStart >= fake.windowMs) {
        windowStart = now;
        used = 0;
      }
      if (used >= fake.limit) {
        blockedUntil = now + fake.retryAfterSeconds * 1000;
        return answer(
          429,
          { error: { code: 'WorkflowTriggerRateLimitExceeded', message: 'Rate limit is exceeded. Try again later.' } },
          { 'retry-after': String(fake.retryAfterSeconds) },
        );
      }
      used++;
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return answer(400, { error: { code: 'InvalidRequestContent', message: 'The request content must be JSON.' } });
      if (raw.byteLength > 28 * 1024) return answer(413, { error: { code: 'MessageSizeTooBig', message: 'Message size is over the 28 KB limit.' } });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      } catch {
        return answer(400, { error: { code: 'InvalidRequestContent', message: 'The request content is not valid JSON.' } });
      }
      const problems = validateTeamsMessage(body);
      if (problems.length > 0) return answer(400, { error: { code: 'InvalidRequestContent', message: problems.join('; ') } });
      fake.accepted.push({ headers: req.headers, body, bytes: raw.byteLength, at: now });
      return answer(202);
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
