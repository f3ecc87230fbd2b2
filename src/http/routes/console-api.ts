import { type Clock, type EventInput, type HeraldEvent, type HttpSourceInstance, type Logger, type SourceEndpoint, SourceRejection } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import type { HeraldConfig } from '../../config/load.js';
import { toHeraldEvent, validateEvent } from '../../core/event.js';
import { explainRoutes } from '../../core/explain.js';
import { incidentSignal } from '../../core/incidents.js';
import { type Matcher, matchesAll, parseMatcher } from '../../core/matcher.js';
import { onCallAt, upcomingHandoffs } from '../../core/oncall.js';
import { route } from '../../core/routing.js';
import { addLabels, alertLabels, labelsMatch, type Silence } from '../../core/silence.js';
import { newId } from '../../lib/ids.js';
import type { DryRunResult } from '../../pipeline/dry-run.js';
import type { ReceiverTestResult } from '../../queue/receiver-test.js';
import type { Store, StoredSilence } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { formatMatcher } from './silences.js';

/** One running source as the console lists it. */
export interface SourceStatusView {
  name: string;
  type: string;
  kind: 'http' | 'listener';
  /** `receiving` (HTTP sources at /hooks/<name>), or what a listener reports: `listening`, `connected`, `disconnected`, `running`. */
  state: string;
  since: string | null;
  detail: string | null;
  accepted: number;
  rejected: number;
}

export interface ConsoleApiDeps {
  store: () => Store;
  clock: Clock;
  log: Logger;
  config: () => HeraldConfig;
  /** Calls `listener` with the events of every committed ingest (the live stream); returns the unsubscribe. */
  subscribe: (listener: (events: HeraldEvent[]) => void) => () => void;
  /** What each receiver the event is routed to would send; nothing is sent. */
  dryRun: (event: HeraldEvent) => Promise<DryRunResult[]>;
  /** The HTTP source configured under this name (test-payload maps with it). */
  httpSource: (name: string) => HttpSourceInstance | undefined;
  /** Source types' API endpoints: test-payload maps a body of theirs by their `source` name. */
  endpoints: () => readonly SourceEndpoint[];
  /** Sends a sample event through one configured receiver now (what `herald test` does). */
  testReceiver: (name: string) => Promise<'not_found' | ReceiverTestResult>;
  /** Each running source's status and counters. */
  sources: () => Promise<SourceStatusView[]>;
}

const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
/** Most stored events one search or preview reads; the answer says when it stopped early. */
const SCAN_LIMIT = 20_000;
const BATCH = 500;

interface EventQuery {
  source?: string;
  status?: 'firing' | 'resolved' | 'info';
  severity?: string;
  matchers: Matcher[];
  text?: string;
}

/** The console's event filter, from the query string; every problem is a 400 naming the parameter. */
function readEventQuery(query: unknown, extra: string[]): EventQuery & { cursor?: string; limit: number } {
  const q = (query ?? {}) as Record<string, unknown>;
  const known = ['source', 'status', 'severity', 'match', 'q', ...extra];
  for (const k of Object.keys(q))
    if (!known.includes(k)) throw new ApiError(400, 'invalid_query', `unknown query parameter "${k}" (known: ${known.join(', ')})`);
  const one = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new ApiError(400, 'invalid_query', `${name}: must be given once, non-empty`);
    return v;
  };
  const status = one('status');
  if (status !== undefined && !['firing', 'resolved', 'info'].includes(status))
    throw new ApiError(400, 'invalid_query', 'status: must be one of: firing, resolved, info');
  const severity = one('severity');
  if (severity !== undefined && !(SEVERITIES as readonly string[]).includes(severity)) {
    throw new ApiError(400, 'invalid_query', `severity: must be one of: ${SEVERITIES.join(', ')}`);
  }
  const rawMatch = q.match === undefined ? [] : Array.isArray(q.match) ? q.match : [q.match];
  if (rawMatch.length > 16) throw new ApiError(400, 'invalid_query', 'match: at most 16 matchers');
  const matchers = rawMatch.map((m, i) => {
    if (typeof m !== 'string' || m === '') throw new ApiError(400, 'invalid_query', `match[${i}]: must be a non-empty matcher`);
    try {
      return parseMatcher(m);
    } catch (err) {
      throw new ApiError(400, 'invalid_query', `match[${i}]: ${(err as Error).message} (got ${JSON.stringify(m)})`);
    }
  });
  const text = one('q');
  if (text !== undefined && text.length > 200) throw new ApiError(400, 'invalid_query', 'q: at most 200 characters');
  const limitText = extra.includes('limit') ? one('limit') : undefined;
  const limit = limitText === undefined ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new ApiError(400, 'invalid_query', 'limit: must be an integer from 1 to 500');
  return {
    source: one('source'),
    status: status as EventQuery['status'],
    severity,
    matchers,
    text: text?.toLowerCase(),
    cursor: extra.includes('cursor') ? one('cursor') : undefined,
    limit,
  };
}

function eventMatches(q: EventQuery, e: HeraldEvent): boolean {
  if (q.source !== undefined && e.source !== q.source) return false;
  if (q.status !== undefined && e.status !== q.status) return false;
  if (q.severity !== undefined && e.severity !== q.severity) return false;
  if (q.matchers.length > 0 && !matchesAll(q.matchers, e)) return false;
  if (q.text !== undefined && !`${e.title}\n${e.text ?? ''}\n${e.key ?? ''}`.toLowerCase().includes(q.text)) return false;
  return true;
}

/** What the live list shows of an event: everything but the (possibly large) raw `data`. */
function summary(e: HeraldEvent): Omit<HeraldEvent, 'data'> {
  const { data: _data, ...rest } = e;
  return rest;
}

const iso = (ms: number) => new Date(ms).toISOString();

function silenceState(s: { starts_at: number; ends_at: number }, now: number): 'active' | 'pending' | 'expired' {
  if (now >= s.ends_at) return 'expired';
  return now < s.starts_at ? 'pending' : 'active';
}

/** The console's endpoints: search, live stream, the "why" of an event, health and previews. */
export const consoleApiRoutes: FastifyPluginAsync<ConsoleApiDeps> = async (app, deps) => {
  /** Scans stored events newest first, keeping those the filter accepts. */
  async function scan(q: EventQuery, opts: { before?: string; since?: number; limit: number; scanLimit?: number }) {
    const found: HeraldEvent[] = [];
    let before = opts.before;
    let scanned = 0;
    let exhausted = false;
    const cap = opts.scanLimit ?? SCAN_LIMIT;
    // Only source and status filter in SQL: without the other filters one page is exactly the answer.
    if (q.severity === undefined && q.matchers.length === 0 && q.text === undefined) {
      const page = await deps.store().listEvents({ source: q.source, status: q.status, since: opts.since, before, limit: opts.limit + 1 });
      const more = page.length > opts.limit;
      if (more) page.pop();
      return { found: page, scanned: page.length, cursor: more ? (page.at(-1)?.id ?? null) : null };
    }
    while (found.length < opts.limit && scanned < cap) {
      const batch = await deps.store().listEvents({ source: q.source, status: q.status, since: opts.since, before, limit: BATCH });
      let rest = batch.length;
      for (const e of batch) {
        scanned++;
        rest--;
        before = e.id;
        if (eventMatches(q, e)) {
          found.push(e);
          if (found.length === opts.limit) break;
        }
      }
      // A short page read to its end means there is nothing older.
      if (batch.length < BATCH && rest === 0) {
        exhausted = true;
        break;
      }
    }
    return { found, scanned, cursor: exhausted ? null : (before ?? null) };
  }

  app.get('/api/v1/search/events', { config: { scope: 'read' } }, async (req) => {
    const q = readEventQuery(req.query, ['cursor', 'limit']);
    const { found, scanned, cursor } = await scan(q, { before: q.cursor, limit: q.limit });
    return { events: found.map(summary), next_cursor: cursor, scanned };
  });

  app.get('/api/v1/stream', { config: { scope: 'read' } }, async (req, reply) => {
    const q = readEventQuery(req.query, []);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    // Tells the browser how long to wait before reconnecting after a drop.
    res.write('retry: 2000\n\n');
    const unsubscribe = deps.subscribe((events) => {
      const shown = events.filter((e) => eventMatches(q, e)).map(summary);
      if (shown.length > 0) res.write(`event: events\ndata: ${JSON.stringify(shown)}\n\n`);
    });
    // A comment now and then keeps proxies from closing an idle stream.
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    ping.unref();
    const end = () => {
      clearInterval(ping);
      unsubscribe();
      streams.delete(end);
      res.end();
    };
    streams.add(end);
    req.raw.on('close', end);
  });
  const streams = new Set<() => void>();
  // Open streams would hold the server's close forever.
  app.addHook('preClose', async () => {
    for (const end of [...streams]) end();
  });

  app.get<{ Params: { id: string } }>('/api/v1/events/:id/why', { config: { scope: 'read' } }, async (req) => {
    const found = await deps.store().getEvent(req.params.id);
    if (!found) throw new ApiError(404, 'not_found', `no event ${req.params.id}`);
    const { event, deliveries } = found;
    const config = deps.config();
    const routes = explainRoutes(config.routes, event);
    const received = Date.parse(event.received_at);
    const labels = alertLabels(event);
    const stored = await deps.store().listSilences({});
    const allSilences: (Silence & { origin: 'config' | 'api'; matcherTexts: string[] })[] = [
      ...config.alerting.silences.map((s) => ({ ...s, origin: 'config' as const, matcherTexts: s.matchers.map(formatMatcher) })),
      ...stored.map((s) => ({ ...toModel(s), origin: 'api' as const, matcherTexts: s.matchers })),
    ];
    const now = deps.clock.now();
    const silences = allSilences
      .filter((s) => labelsMatch(s.matchers, labels))
      .map((s) => ({
        id: s.id,
        origin: s.origin,
        matchers: s.matcherTexts,
        comment: s.comment,
        starts_at: iso(s.starts_at),
        ends_at: iso(s.ends_at),
        state: silenceState(s, now),
        in_force_at_receipt: s.starts_at <= received && received < s.ends_at,
      }));
    const windows = config.alerting.windows.filter((w) => labelsMatch(w.matchers, labels)).map((w) => ({ name: w.name, comment: w.comment }));
    const incidents = [];
    for (const r of routes) {
      const policy = config.routes[r.index]?.policy;
      if (r.outcome !== 'matched' || !policy) continue;
      const signal = incidentSignal(event, r.id, policy);
      if (!signal) continue;
      const list = await deps.store().listIncidents({ route: r.id, limit: 500 });
      const i = list.find((x) => x.key === signal.key && x.firstSeen <= received && (x.resolvedAt === null || x.resolvedAt >= received));
      if (i) incidents.push({ id: i.id, route: i.route, key: i.key, status: i.status, acknowledged: i.acknowledgedAt !== null, title: i.title });
    }
    const suppressed = deliveries.filter((d) => d.state === 'suppressed').map((d) => ({ delivery: d.id, receiver: d.receiver, reason: d.last_error }));
    return { event_id: event.id, routes, silences, maintenance_windows: windows, suppressed, incidents };
  });

  app.get('/api/v1/routes', { config: { scope: 'read' } }, async () => ({
    routes: deps.config().routes.map((r, index) => ({
      index,
      id: r.id ?? `routes[${index}]`,
      match: r.match.map(formatMatcher),
      receivers: r.receivers,
      continue: r.continue,
      policy: r.policy
        ? {
            group_by: r.policy.groupBy ?? null,
            group_wait_ms: r.policy.groupWaitMs,
            group_interval_ms: r.policy.groupIntervalMs,
            repeat_interval_ms: r.policy.repeatIntervalMs,
            send_resolved: r.policy.sendResolved,
          }
        : null,
    })),
  }));

  /** A dry run from a sender's own payload: the configured source maps it, then routes/test. */
  app.post('/api/v1/routes/test-payload', { config: { scope: 'read' } }, async (req) => {
    const body = req.body as { source?: unknown; payload?: unknown; headers?: unknown } | undefined;
    if (!body || typeof body !== 'object' || typeof body.source !== 'string' || body.source === '') {
      const alternatives = deps.endpoints().map((e) => `"${e.source}" for ${e.describes}`);
      throw new ApiError(
        400,
        'invalid_request',
        `source: name a configured HTTP source${alternatives.length > 0 ? ` (or ${alternatives.join(', or ')})` : ''}`,
      );
    }
    if (body.payload === undefined) throw new ApiError(400, 'invalid_request', 'payload: the sender payload to map');
    const headers: Record<string, string> = {};
    if (body.headers !== undefined) {
      if (typeof body.headers !== 'object' || body.headers === null || Array.isArray(body.headers))
        throw new ApiError(400, 'invalid_request', 'headers: must be an object');
      for (const [k, v] of Object.entries(body.headers)) {
        if (typeof v !== 'string') throw new ApiError(400, 'invalid_request', `headers.${k}: must be a string`);
        headers[k.toLowerCase()] = v;
      }
    }
    let inputs: EventInput[];
    // An endpoint's source name is looked up first, as its endpoint takes the body whatever sources are configured.
    const endpoint = deps.endpoints().find((e) => e.source === body.source);
    if (endpoint) {
      try {
        inputs = endpoint.map(body.payload, deps.clock.now());
      } catch (err) {
        if (err instanceof SourceRejection) throw ApiError.fromSource(err.status, err.code, err.message);
        throw err;
      }
    } else {
      const source = deps.httpSource(body.source);
      if (!source) throw new ApiError(404, 'not_found', `no HTTP source named "${body.source}"`);
      const raw = Buffer.from(typeof body.payload === 'string' ? body.payload : JSON.stringify(body.payload));
      headers['content-type'] ??= 'application/json';
      try {
        const result = await source.handle({ method: 'POST', headers, query: {}, rawBody: raw });
        inputs = Array.isArray(result) ? result : result.events;
      } catch (err) {
        const e = err as { status?: number; code?: string; message: string };
        throw ApiError.fromSource(400, e.code ?? 'invalid_payload', `source "${body.source}" refused the payload: ${e.message}`);
      }
    }
    const now = deps.clock.now();
    const results = [];
    for (const input of inputs.slice(0, 20)) {
      const withSource = { ...input, source: input.source ?? body.source };
      const issues = validateEvent(withSource);
      if (issues.length > 0) throw new ApiError(400, 'invalid_event', issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; '), issues);
      const event = toHeraldEvent(withSource, newId(now), now);
      results.push({ event, matched_routes: route(deps.config().routes, event).matchedRoutes, receivers: await deps.dryRun(event) });
    }
    return { results, events: inputs.length };
  });

  app.get('/api/v1/receivers', { config: { scope: 'read' } }, async () => {
    const now = deps.clock.now();
    const receivers = [];
    for (const r of deps.config().receivers) {
      const recent = await deps.store().listDeliveries({ receiver: r.name, limit: 100 });
      const done = recent.filter((d) => d.state === 'succeeded' || d.state === 'dead' || d.state === 'failed');
      const ok = done.filter((d) => d.state === 'succeeded').length;
      const lastFailure = recent.find((d) => d.last_error !== null && d.state !== 'suppressed');
      const limited = recent.find((d) => d.state === 'failed' && d.last_status === 429 && Date.parse(d.run_at) > now);
      receivers.push({
        name: r.name,
        type: r.type,
        docs_url: r.definition.docsUrl ?? null,
        concurrency: r.concurrency,
        recent: { deliveries: recent.length, finished: done.length, succeeded: ok, success_rate: done.length === 0 ? null : ok / done.length },
        pending: recent.filter((d) => d.state === 'pending' || d.state === 'running').length,
        failed: recent.filter((d) => d.state === 'failed').length,
        dead: recent.filter((d) => d.state === 'dead').length,
        last_error: lastFailure
          ? { delivery: lastFailure.id, error: lastFailure.last_error, status: lastFailure.last_status, at: lastFailure.updated_at }
          : null,
        rate_limited_until: limited ? limited.run_at : null,
      });
    }
    return { receivers };
  });

  app.post<{ Params: { name: string } }>('/api/v1/receivers/:name/test', { config: { scope: 'admin' } }, async (req) => {
    const result = await deps.testReceiver(req.params.name);
    if (result === 'not_found') throw new ApiError(404, 'not_found', `no receiver named "${req.params.name}"`);
    deps.log.info({ receiver: req.params.name, ok: result.ok, by: req.principal.name }, 'test notification sent from the console');
    return result;
  });

  app.get('/api/v1/sources', { config: { scope: 'read' } }, async () => ({ sources: await deps.sources() }));

  app.get('/api/v1/oncall', { config: { scope: 'read' } }, async (req) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(q)) if (k !== 'days') throw new ApiError(400, 'invalid_query', `unknown query parameter "${k}" (known: days)`);
    const days = q.days === undefined ? 21 : Number(q.days);
    if (!Number.isInteger(days) || days < 1 || days > 90) throw new ApiError(400, 'invalid_query', 'days: must be an integer from 1 to 90');
    const now = deps.clock.now();
    const horizon = now + days * 86_400_000;
    const schedules = [...deps.config().people.schedules.values()].map((s) => {
      const current = onCallAt(s, now);
      const shifts = [current];
      // Bounded: an hourly rotation over 90 days is ~2,200 shifts.
      for (const next of upcomingHandoffs(s, now, 3000)) {
        if (next.from >= horizon) break;
        shifts.push(next);
      }
      const view = (o: { user: string; from: number; to: number; override: boolean }) => ({
        user: o.user,
        from: Number.isFinite(o.from) ? iso(o.from) : null,
        to: Number.isFinite(o.to) ? iso(o.to) : null,
        override: o.override,
      });
      return {
        name: s.name,
        time_zone: s.time_zone,
        now: view(current),
        next: shifts[1] ? view(shifts[1]) : null,
        shifts: shifts.map(view),
        overrides: s.overrides.filter((o) => Date.parse(o.to) > now),
      };
    });
    return { now: iso(now), until: iso(horizon), schedules };
  });

  app.post('/api/v1/silences/preview', { config: { scope: 'read' } }, async (req) => {
    const body = req.body as { matchers?: unknown } | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.matchers) || body.matchers.length === 0 || body.matchers.length > 64) {
      throw new ApiError(400, 'invalid_silence', 'matchers: give 1–64 matcher texts');
    }
    const issues: { path: string; message: string }[] = [];
    const matchers: Matcher[] = [];
    body.matchers.forEach((m, i) => {
      if (typeof m !== 'string' || m === '') {
        issues.push({ path: `matchers[${i}]`, message: 'must be a non-empty string' });
        return;
      }
      try {
        matchers.push(parseMatcher(m));
      } catch (err) {
        issues.push({ path: `matchers[${i}]`, message: `${(err as Error).message} (got ${JSON.stringify(m)})` });
      }
    });
    if (issues.length > 0) throw new ApiError(400, 'invalid_silence', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    const now = deps.clock.now();
    const firing = await deps.store().listIncidents({ status: 'firing', limit: 1000 });
    const lastEvents = new Map((await deps.store().loadEvents(firing.map((i) => i.lastEventId))).map((e) => [e.id, e]));
    const incidents = firing
      .filter((i) => {
        const e = lastEvents.get(i.lastEventId);
        const labels: Record<string, string> = e ? alertLabels(e) : {};
        Object.assign(addLabels(labels, i.labels), { key: i.key, title: i.title });
        if (!Object.hasOwn(i.labels, 'route')) labels.route = i.route;
        return labelsMatch(matchers, labels);
      })
      .map((i) => ({
        id: i.id,
        route: i.route,
        key: i.key,
        title: i.title,
        labels: i.labels,
        last_seen: iso(i.lastSeen),
        acknowledged: i.acknowledgedAt !== null,
      }));
    const events: HeraldEvent[] = [];
    let scanned = 0;
    let before: string | undefined;
    const since = now - 86_400_000;
    while (scanned < SCAN_LIMIT && events.length < 100) {
      const batch = await deps.store().listEvents({ since, before, limit: BATCH });
      for (const e of batch) {
        scanned++;
        before = e.id;
        if (labelsMatch(matchers, alertLabels(e)) && events.length < 100) events.push(e);
      }
      if (batch.length < BATCH) break;
    }
    return { incidents, events: events.map(summary), events_scanned: scanned, since: iso(since) };
  });
};

function toModel(s: StoredSilence): Silence {
  return { id: s.id, matchers: s.matchers.map((m) => parseMatcher(m)), starts_at: s.starts_at, ends_at: s.ends_at, author: s.author, comment: s.comment };
}
