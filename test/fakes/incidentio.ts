import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local incident.io alert events API (CreateHTTP, https://api-docs.incident.io/tag/Alert-Events-V2):
 * `POST /v2/alert_events/http/{alert_source_config_id}` with `Authorization: Bearer <source token>`
 * and a JSON body: `title` (required, non-empty string), `status` (required, `firing` | `resolved`),
 * optional `deduplication_key`, `description`, `source_url` (a URL), `metadata` (an object).
 * Accepted events get `202 {"deduplication_key", "message": "Event accepted for processing",
 * "status": "success"}`; errors use incident.io's envelope `{type, status, request_id, errors:
 * [{code, message, source: {field}}]}`: 400 validation_error, 401 authentication_error,
 * 404 not_found (unknown alert source).
 * Alerts are kept by deduplication key: firing opens or updates one, resolved resolves it.
 */
export interface FakeIncidentIoRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeIncidentIo {
  url: string;
  sourceId: string;
  token: string;
  accepted: FakeIncidentIoRequest[];
  rejected: { status: number; body: unknown }[];
  alerts: Map<string, { status: 'firing' | 'resolved'; title: string; events: number }>;
  script: { status: number; headers?: Record<string, string>; body?: unknown }[];
  close(): Promise<void>;
}

export async function startFakeIncidentIo(sourceId = '01GW2G3V0S59R238FAHPDS1R66', token = 'inc_src_tok_9f8e7d6c5b4a39281706'): Promise<FakeIncidentIo> {
  const fake: FakeIncidentIo = { url: '', sourceId, token, accepted: [], rejected: [], alerts: new Map(), script: [], close: async () => {} };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const request_id = randomUUID();
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status !== 202) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      const error = (status: number, type: string, errors: { code: string; message: string; field?: string }[]) =>
        answer(status, {
          type,
          status,
          request_id,
          errors: errors.map((e) => ({ code: e.code, message: e.message, ...(e.field ? { source: { field: e.field } } : {}) })),
        });
      const m = /^\/v2\/alert_events\/http\/([^/]+)$/.exec(path);
      if (!m || req.method !== 'POST') return error(404, 'not_found', [{ code: 'not_found', message: 'Route not found' }]);
      if (req.headers.authorization !== `Bearer ${fake.token}`)
        return error(401, 'authentication_error', [{ code: 'unauthenticated', message: 'Invalid or missing token for this alert source' }]);
      if (m[1] !== fake.sourceId) return error(404, 'not_found', [{ code: 'not_found', message: 'Alert source config not found' }]);
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return error(415, 'invalid_request', [{ code: 'unsupported_media_type', message: 'Content-Type must be application/json' }]);
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        return error(400, 'validation_error', [{ code: 'invalid_json', message: 'Request body must be a JSON object' }]);
      }
      const problems: { code: string; message: string; field: string }[] = [];
      if (typeof body.title !== 'string' || body.title.trim() === '') problems.push({ code: 'is_required', message: 'title is required', field: 'title' });
      if (body.status !== 'firing' && body.status !== 'resolved')
        problems.push({ code: 'invalid_value', message: 'status must be one of [firing, resolved]', field: 'status' });
      for (const f of ['deduplication_key', 'description', 'source_url'])
        if (body[f] !== undefined && typeof body[f] !== 'string') problems.push({ code: 'invalid_type', message: `${f} must be a string`, field: f });
      if (typeof body.source_url === 'string' && !URL.canParse(body.source_url))
        problems.push({ code: 'invalid_value', message: 'source_url must be a URL', field: 'source_url' });
      if (body.metadata !== undefined && (!body.metadata || typeof body.metadata !== 'object' || Array.isArray(body.metadata)))
        problems.push({ code: 'invalid_type', message: 'metadata must be an object', field: 'metadata' });
      if (problems.length > 0) return error(400, 'validation_error', problems);
      const scripted = fake.script.shift();
      if (scripted) return answer(scripted.status, scripted.body ?? { type: 'scripted', status: scripted.status, request_id }, scripted.headers);
      fake.accepted.push({ path, headers: req.headers, body });
      const key = (body.deduplication_key as string | undefined) ?? request_id;
      const alert = fake.alerts.get(key);
      if (body.status === 'firing') {
        if (alert && alert.status === 'firing') alert.events++;
        else fake.alerts.set(key, { status: 'firing', title: body.title as string, events: 1 });
      } else if (alert) alert.status = 'resolved';
      return answer(202, { deduplication_key: key, message: 'Event accepted for processing', status: 'success' });
    });
  };
  const listening = await listenLoopback(createServer(handler));
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
