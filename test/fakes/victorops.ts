import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenLoopback } from '../helpers/harness.js';

/**
 * A local Splunk On-Call (VictorOps) REST endpoint integration
 * (https://help.splunk.com/splunk-observability-cloud/splunk-on-call/integrations-with-splunk-on-call/rest-endpoint-integration-for-splunk-on-call):
 * `POST /integrations/generic/20131114/alert/<api_key>/<routing_key>` with a JSON object body;
 * `message_type` one of CRITICAL, WARNING, INFO, ACKNOWLEDGEMENT, RECOVERY (case-insensitive, as the
 * endpoint reads it); `state_message` at most 20,480 characters; `state_start_time` seconds since the
 * epoch. Answers `200 {"result":"success","entity_id"}`; a bad body `400 {"result":"failure","message"}`;
 * a key that is not an integration's `404` (the URL does not exist).
 * Incidents are kept by `entity_id`: triggered by CRITICAL/WARNING, acknowledged, resolved by RECOVERY.
 */
export interface FakeVictorOpsRequest {
  path: string;
  apiKey: string;
  routingKey: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeVictorOps {
  url: string;
  apiKey: string;
  accepted: FakeVictorOpsRequest[];
  rejected: { status: number; body: unknown }[];
  incidents: Map<string, { state: 'triggered' | 'acknowledged' | 'resolved'; routingKey: string; body: Record<string, unknown> }>;
  script: { status: number; headers?: Record<string, string>; body?: unknown }[];
  close(): Promise<void>;
}

const TYPES = ['CRITICAL', 'WARNING', 'INFO', 'ACKNOWLEDGEMENT', 'RECOVERY'];

export async function startFakeVictorOps(apiKey = '3ad8a2f1-5d0c-4c53-9e8e-1f2b3c4d5e6f'): Promise<FakeVictorOps> {
  const fake: FakeVictorOps = { url: '', apiKey, accepted: [], rejected: [], incidents: new Map(), script: [], close: async () => {} };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (status !== 200) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      };
      const m = /^\/integrations\/generic\/20131114\/alert\/([^/]+)\/([^/]+)$/.exec(path);
      if (!m || decodeURIComponent(m[1] as string) !== fake.apiKey) return answer(404, { result: 'failure', message: 'Not Found' });
      if (req.method !== 'POST') return answer(405, { result: 'failure', message: 'Method Not Allowed' });
      if (!String(req.headers['content-type']).startsWith('application/json')) return answer(415, { result: 'failure', message: 'Unsupported Media Type' });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object');
      } catch {
        return answer(400, { result: 'failure', message: 'Request body is not a JSON object' });
      }
      const type = typeof body.message_type === 'string' ? body.message_type.toUpperCase() : '';
      if (!TYPES.includes(type)) return answer(400, { result: 'failure', message: `Missing fields: message_type (one of ${TYPES.join(', ')})` });
      if (body.entity_id !== undefined && typeof body.entity_id !== 'string') return answer(400, { result: 'failure', message: 'entity_id must be a string' });
      if (typeof body.state_message === 'string' && body.state_message.length > 20_480)
        return answer(400, { result: 'failure', message: 'state_message is longer than 20480 characters' });
      if (body.state_start_time !== undefined && !Number.isInteger(body.state_start_time))
        return answer(400, { result: 'failure', message: 'state_start_time must be seconds since the epoch' });
      const scripted = fake.script.shift();
      if (scripted) return answer(scripted.status, scripted.body ?? { result: 'failure', message: 'scripted' }, scripted.headers);
      const routingKey = decodeURIComponent(m[2] as string);
      fake.accepted.push({ path, apiKey: decodeURIComponent(m[1] as string), routingKey, headers: req.headers, body });
      const entity = (body.entity_id as string | undefined) ?? `random-${fake.accepted.length}`;
      const open = fake.incidents.get(entity);
      if (type === 'CRITICAL' || type === 'WARNING') {
        if (!open || open.state === 'resolved') fake.incidents.set(entity, { state: 'triggered', routingKey, body });
      } else if (type === 'ACKNOWLEDGEMENT' && open && open.state === 'triggered') open.state = 'acknowledged';
      else if (type === 'RECOVERY' && open) open.state = 'resolved';
      return answer(200, { result: 'success', entity_id: entity });
    });
  };
  const listening = await listenLoopback(createServer(handler));
  fake.url = listening.url;
  fake.close = listening.close;
  return fake;
}
