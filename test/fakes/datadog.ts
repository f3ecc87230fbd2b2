import { createServer, type IncomingMessage } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Datadog API that checks `POST /api/v1/events` as documented
 * (https://docs.datadoghq.com/api/latest/events/#post-an-event): DD-API-KEY,
 * JSON, title and text present, title ≤ 100, text ≤ 4,000, aggregation_key
 * ≤ 100, alert_type and priority from their enums, integer date_happened no
 * older than 18 hours, tags a list of strings. Answers 202 like Datadog.
 */
export interface FakeDatadog {
  url: string;
  apiKey: string;
  accepted: { body: Record<string, unknown>; headers: IncomingMessage['headers'] }[];
  rejected: { status: number; errors: string[] }[];
  script: { status: number; headers?: Record<string, string> }[];
  close(): Promise<void>;
}

const ALERT_TYPES = ['error', 'warning', 'info', 'success', 'user_update', 'recommendation', 'snapshot'];

export function validateDatadogEvent(b: Record<string, unknown>): string[] {
  const errors: string[] = [];
  if (typeof b.title !== 'string' || b.title.length === 0) errors.push('Event title is required');
  else if (b.title.length > 100) errors.push('Event title is longer than 100 characters');
  if (typeof b.text !== 'string') errors.push('Event text is required');
  else if (b.text.length > 4000) errors.push('Event text is longer than 4000 characters');
  if (b.aggregation_key !== undefined && (typeof b.aggregation_key !== 'string' || b.aggregation_key.length > 100))
    errors.push('aggregation_key is longer than 100 characters');
  if (b.alert_type !== undefined && !ALERT_TYPES.includes(String(b.alert_type))) errors.push('invalid alert_type');
  if (b.priority !== undefined && b.priority !== null && !['normal', 'low'].includes(String(b.priority))) errors.push('invalid priority');
  if (b.tags !== undefined && (!Array.isArray(b.tags) || b.tags.some((t) => typeof t !== 'string'))) errors.push('tags must be a list of strings');
  if (b.date_happened !== undefined) {
    if (!Number.isInteger(b.date_happened)) errors.push('date_happened must be an integer');
    else if ((b.date_happened as number) < Date.now() / 1000 - 18 * 3600) errors.push('date_happened is older than 18 hours');
  }
  return errors;
}

export async function startFakeDatadog(): Promise<FakeDatadog> {
  const fake: FakeDatadog = { url: '', apiKey: 'ddapikey0123456789abcdef01234567', accepted: [], rejected: [], script: [], close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status !== 202) fake.rejected.push({ status, errors: (body as { errors?: string[] }).errors ?? [] });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/api/v1/events') return send(404, { errors: ['Not found'] });
      if (req.headers['dd-api-key'] !== fake.apiKey) return send(403, { errors: ['Forbidden'] });
      const scripted = fake.script.shift();
      if (scripted) return send(scripted.status, { errors: ['scripted'] }, scripted.headers);
      if (!String(req.headers['content-type']).startsWith('application/json')) return send(415, { errors: ['Unsupported Media Type'] });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(400, { errors: ['Invalid JSON'] });
      }
      const errors = validateDatadogEvent(body);
      if (errors.length > 0) return send(400, { errors });
      fake.accepted.push({ body, headers: req.headers });
      return send(202, { status: 'ok', event: { id: fake.accepted.length, title: body.title } });
    });
  });
  const listening = await listenLoopback(server);
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
