import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Opsgenie Alert API v2 that validates like the real one
 * (https://docs.opsgenie.com/docs/alert-api, https://docs.opsgenie.com/docs/response):
 * `Authorization: GenieKey <key>`, JSON bodies, create at `POST /v2/alerts`
 * (message 1–130, alias ≤ 512, description ≤ 15,000, ≤ 20 tags of ≤ 50,
 * details string→string ≤ 8,000 in total, entity ≤ 512, source ≤ 100,
 * priority P1–P5, responders {type, id|name|username}), close and acknowledge
 * at `POST /v2/alerts/:identifier/{close,acknowledge}?identifierType=alias`
 * (source ≤ 100, user ≤ 100, note ≤ 25,000). Valid requests are answered
 * `202 {result, took, requestId}` and then processed: alerts are kept by alias
 * (a create for an open alias only increments its count, as Opsgenie de-duplicates).
 */
export interface FakeAlert {
  alias: string;
  status: 'open' | 'closed';
  acknowledged: boolean;
  count: number;
  body: Record<string, unknown>;
}

export interface FakeOpsgenieRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeOpsgenie {
  url: string;
  apiKey: string;
  accepted: FakeOpsgenieRequest[];
  rejected: { status: number; body: unknown; path: string }[];
  alerts: Map<string, FakeAlert>;
  /**
   * Close/acknowledge requests that found no open alert with their alias —
   * Opsgenie accepts them (202) and the request log says nothing matched; a
   * test uses this to say Herald never closes an alias it did not create.
   */
  misdirected: { action: string; alias: string; reason: 'never created' | 'already closed' }[];
  /** Scripted answers used first, e.g. [{status: 429, headers: {'retry-after': '1'}}]. */
  script: { status: number; headers?: Record<string, string>; body?: unknown }[];
  close(): Promise<void>;
}

const PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'];
const RESPONDER_TYPES = ['team', 'user', 'escalation', 'schedule'];
const str = (v: unknown) => typeof v === 'string';

export function validateCreate(b: Record<string, unknown>): Record<string, string> {
  const e: Record<string, string> = {};
  if (!str(b.message) || (b.message as string).trim() === '') e.message = 'Message can not be empty.';
  else if ((b.message as string).length > 130) e.message = 'Message can not be longer than 130 characters.';
  if (b.alias !== undefined && (!str(b.alias) || (b.alias as string).length > 512)) e.alias = 'Alias can not be longer than 512 characters.';
  if (b.description !== undefined && (!str(b.description) || (b.description as string).length > 15_000))
    e.description = 'Description can not be longer than 15000 characters.';
  if (b.entity !== undefined && (!str(b.entity) || (b.entity as string).length > 512)) e.entity = 'Entity can not be longer than 512 characters.';
  if (b.source !== undefined && (!str(b.source) || (b.source as string).length > 100)) e.source = 'Source can not be longer than 100 characters.';
  if (b.user !== undefined && (!str(b.user) || (b.user as string).length > 100)) e.user = 'User can not be longer than 100 characters.';
  if (b.note !== undefined && (!str(b.note) || (b.note as string).length > 25_000)) e.note = 'Note can not be longer than 25000 characters.';
  if (b.priority !== undefined && !PRIORITIES.includes(String(b.priority))) e.priority = 'Priority should be one of [P1, P2, P3, P4, P5]';
  if (b.tags !== undefined) {
    if (!Array.isArray(b.tags) || b.tags.some((t) => !str(t))) e.tags = 'Tags should be a list of strings.';
    else if (b.tags.length > 20) e.tags = 'Tags can not contain more than 20 items.';
    else if (b.tags.some((t: string) => t.length > 50)) e.tags = 'Tag can not be longer than 50 characters.';
  }
  if (b.details !== undefined) {
    if (!b.details || typeof b.details !== 'object' || Array.isArray(b.details) || Object.values(b.details).some((v) => !str(v)))
      e.details = 'Details should be a map of strings.';
    else if (Object.entries(b.details as Record<string, string>).reduce((n, [k, v]) => n + k.length + v.length, 0) > 8000)
      e.details = 'Details can not be longer than 8000 characters in total.';
  }
  if (b.responders !== undefined) {
    if (!Array.isArray(b.responders) || b.responders.length > 50) e.responders = 'Responders should be a list of at most 50 responders.';
    else
      for (const r of b.responders as Record<string, unknown>[]) {
        if (!RESPONDER_TYPES.includes(String(r?.type))) e.responders = 'Responder type should be one of [team, user, escalation, schedule]';
        else if (!str(r.id) && !str(r.name) && !str(r.username)) e.responders = 'Responder should have one of id, name or username.';
      }
  }
  return e;
}

export function validateAction(b: Record<string, unknown>): Record<string, string> {
  const e: Record<string, string> = {};
  if (b.source !== undefined && (!str(b.source) || (b.source as string).length > 100)) e.source = 'Source can not be longer than 100 characters.';
  if (b.user !== undefined && (!str(b.user) || (b.user as string).length > 100)) e.user = 'User can not be longer than 100 characters.';
  if (b.note !== undefined && (!str(b.note) || (b.note as string).length > 25_000)) e.note = 'Note can not be longer than 25000 characters.';
  return e;
}

export async function startFakeOpsgenie(apiKey = 'eb243592-faa2-4ba2-a551-1afdf565c889'): Promise<FakeOpsgenie> {
  const fake: FakeOpsgenie = { url: '', apiKey, accepted: [], rejected: [], alerts: new Map(), misdirected: [], script: [], close: async () => {} };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status !== 202) fake.rejected.push({ status, body, path: u.pathname });
        res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': randomUUID(), ...headers }).end(JSON.stringify(body));
      };
      const took = 0.01;
      const requestId = randomUUID();
      if (req.method !== 'POST') return answer(405, { message: 'Method Not Allowed', took, requestId });
      const m = /^\/v2\/alerts(?:\/([^/]+)\/(close|acknowledge))?$/.exec(u.pathname);
      if (!m) return answer(404, { message: 'Could not find handler', took, requestId });
      if (req.headers.authorization !== `GenieKey ${fake.apiKey}`) return answer(401, { message: 'Could not authenticate', took, requestId });
      if (!String(req.headers['content-type']).startsWith('application/json')) return answer(415, { message: 'Unsupported Media Type', took, requestId });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        return answer(400, { message: 'Invalid JSON body', took, requestId });
      }
      const scripted = fake.script.shift();
      if (scripted) return answer(scripted.status, scripted.body ?? { message: 'scripted', took, requestId }, scripted.headers);
      const [, identifier, action] = m;
      if (action) {
        const type = u.searchParams.get('identifierType') ?? 'id';
        if (!['id', 'alias', 'tiny'].includes(type)) return answer(422, { message: 'Invalid identifierType', took, requestId });
        const errors = validateAction(body);
        if (Object.keys(errors).length > 0)
          return answer(422, { message: 'Request body is not processable. Please check the errors.', errors, took, requestId });
        fake.accepted.push({ method: req.method, path: u.pathname, query: u.searchParams, headers: req.headers, body });
        // Asynchronous, as in Opsgenie: accepted even when no alert matches (the request log says so).
        const alert = type === 'alias' ? fake.alerts.get(decodeURIComponent(identifier as string)) : undefined;
        if (alert && alert.status === 'open') {
          if (action === 'close') alert.status = 'closed';
          else alert.acknowledged = true;
        } else if (type === 'alias') {
          fake.misdirected.push({
            action: action as string,
            alias: decodeURIComponent(identifier as string),
            reason: alert ? 'already closed' : 'never created',
          });
        }
        return answer(202, { result: 'Request will be processed', took, requestId });
      }
      const errors = validateCreate(body);
      if (Object.keys(errors).length > 0) return answer(422, { message: 'Request body is not processable. Please check the errors.', errors, took, requestId });
      fake.accepted.push({ method: req.method, path: u.pathname, query: u.searchParams, headers: req.headers, body });
      const alias = (body.alias as string | undefined) ?? requestId;
      const open = fake.alerts.get(alias);
      if (open && open.status === 'open') open.count++;
      else fake.alerts.set(alias, { alias, status: 'open', acknowledged: false, count: 1, body });
      return answer(202, { result: 'Request will be processed', took, requestId });
    });
  };
  const listening = await listenLoopback(createServer(handler));
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
