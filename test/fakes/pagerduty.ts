import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { listenLoopback, selfSignedCert } from '../helpers/harness.js';

/**
 * A local PagerDuty Events API v2 that validates like the real one
 * (https://developer.pagerduty.com/api-reference/YXBpOjI3NDgyNjU-pager-duty-v2-events-api):
 * POST /v2/enqueue, JSON, routing_key of 32 characters, event_action, dedup_key
 * ≤ 255, and for triggers a payload with summary (≤ 1024), source and severity.
 * Serves HTTP and HTTPS (self-signed, for the official client, which only speaks https).
 *
 * It also keeps the alert behind each dedup_key as PagerDuty does
 * (https://developer.pagerduty.com/docs/events-api-v2-overview, "Alert and
 * Incident De-duplication"): a trigger opens an alert for a key with none
 * open, or is de-duplicated into the open one; acknowledge and resolve act on
 * the open alert with that key. PagerDuty answers 202 even for an acknowledge
 * or resolve that names no open alert and then discards it; the fake does the
 * same and lists the event in `misdirected`, so a test can say that Herald
 * never resolves or acknowledges a key it did not trigger.
 */
export interface FakePagerDuty {
  url: string;
  httpsHost: string;
  ca: Buffer;
  accepted: { body: Record<string, unknown>; headers: IncomingMessage['headers']; at: number }[];
  rejected: { status: number; body: unknown }[];
  /** The alert behind each dedup_key that was ever triggered: its state now and how many triggers it took. */
  alerts: Map<string, { state: 'triggered' | 'acknowledged' | 'resolved'; triggers: number }>;
  /** Acknowledge/resolve events PagerDuty would discard: no open alert with that dedup_key (never triggered, or resolved already). */
  misdirected: { action: string; dedupKey: string; reason: 'never triggered' | 'already resolved' }[];
  /** dedup_keys whose alert is still open (triggered or acknowledged). */
  open(): string[];
  /** Scripted answers, used first, e.g. [{status: 429}, {status: 500}]. */
  script: { status: number; body?: unknown }[];
  close(): Promise<void>;
}

const ACTIONS = ['trigger', 'acknowledge', 'resolve'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

export function validateEvent(body: unknown): string[] {
  const errors: string[] = [];
  const b = body as Record<string, unknown>;
  if (!b || typeof b !== 'object') return ['Event object is invalid'];
  if (typeof b.routing_key !== 'string' || b.routing_key.length !== 32) errors.push("'routing_key' must be a 32 character string");
  if (!ACTIONS.includes(String(b.event_action))) errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (b.dedup_key !== undefined && (typeof b.dedup_key !== 'string' || b.dedup_key.length > 255))
    errors.push("'dedup_key' must be a string of at most 255 characters");
  if (b.event_action !== 'trigger' && typeof b.dedup_key !== 'string') errors.push("'dedup_key' is required for acknowledge and resolve");
  if (b.event_action === 'trigger') {
    const p = b.payload as Record<string, unknown> | undefined;
    if (!p || typeof p !== 'object') errors.push("'payload' is missing or not an object");
    else {
      if (typeof p.summary !== 'string' || p.summary.length === 0 || p.summary.length > 1024)
        errors.push("'payload.summary' is missing or longer than 1024 characters");
      if (typeof p.source !== 'string' || p.source.length === 0) errors.push("'payload.source' is missing");
      if (!SEVERITIES.includes(String(p.severity))) errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
      if (p.timestamp !== undefined && Number.isNaN(Date.parse(String(p.timestamp)))) errors.push("'payload.timestamp' is not ISO 8601");
    }
    if (b.links !== undefined && (!Array.isArray(b.links) || b.links.some((l: { href?: unknown }) => typeof l.href !== 'string')))
      errors.push("'links' must be a list of {href, text}");
  }
  if (Buffer.byteLength(JSON.stringify(b)) > 512 * 1024) errors.push('Event exceeds 512 KB');
  return errors;
}

export async function startFakePagerDuty(): Promise<FakePagerDuty> {
  const { key, cert } = selfSignedCert('IP:127.0.0.1');
  const alerts: FakePagerDuty['alerts'] = new Map();
  const fake: FakePagerDuty = {
    url: '',
    httpsHost: '',
    ca: cert,
    accepted: [],
    rejected: [],
    alerts,
    misdirected: [],
    open: () => [...alerts].filter(([, a]) => a.state !== 'resolved').map(([k]) => k),
    script: [],
    close: async () => {},
  };
  const track = (action: string, dedupKey: string) => {
    const alert = alerts.get(dedupKey);
    if (action === 'trigger') {
      // A trigger for a resolved key opens a new alert; for an open one it is de-duplicated (an acknowledged alert stays acknowledged).
      if (!alert || alert.state === 'resolved') alerts.set(dedupKey, { state: 'triggered', triggers: (alert?.triggers ?? 0) + 1 });
      else alert.triggers += 1;
      return;
    }
    if (!alert || alert.state === 'resolved') {
      fake.misdirected.push({ action, dedupKey, reason: alert ? 'already resolved' : 'never triggered' });
      return;
    }
    if (action === 'resolve') alert.state = 'resolved';
    else if (action === 'acknowledge') alert.state = 'acknowledged';
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        if (status !== 202) fake.rejected.push({ status, body });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/v2/enqueue') return send(404, { status: 'not found' });
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return send(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Content-Type must be application/json'] });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        return send(400, { status: 'invalid event', message: 'Event object is invalid', errors: ['Invalid JSON'] });
      }
      const scripted = fake.script.shift();
      if (scripted) return send(scripted.status, scripted.body ?? { status: 'throttle event', message: 'Requests for this service are arriving too quickly.' });
      const errors = validateEvent(body);
      if (errors.length > 0) return send(400, { status: 'invalid event', message: 'Event object is invalid', errors });
      fake.accepted.push({ body, headers: req.headers, at: Date.now() });
      const dedupKey = typeof body.dedup_key === 'string' ? body.dedup_key : `generated-${fake.accepted.length}`;
      track(String(body.event_action), dedupKey);
      return send(202, { status: 'success', message: 'Event processed', dedup_key: dedupKey });
    });
  };
  const http = createHttp(handler);
  const https = createHttps({ key, cert }, handler);
  const plain = await listenLoopback(http);
  const secure = await listenLoopback(https);
  fake.url = `${plain.url}/v2/enqueue`;
  fake.httpsHost = `127.0.0.1:${secure.port}`;
  fake.close = async () => {
    await plain.close();
    await secure.close();
  };
  return fake;
}
