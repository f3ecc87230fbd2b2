import { type Clock, type EventInput, type HeraldEvent, type HttpSourceInstance, type Logger, parseUntrustedJson } from '@herald/sdk';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { HeraldConfig } from '../config/load.js';
import type { Scope } from '../config/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RenderedOutput } from '../pipeline/dry-run.js';
import type { Ingestor } from '../pipeline/ingestor.js';
import type { Store } from '../store/types.js';
import { StoreUnavailableError } from '../store/types.js';
import { authenticate, OPEN_PRINCIPAL, type Principal } from './auth.js';
import { ConsoleSessions, registerConsole } from './console.js';
import { ApiError, type ApiSlug, sendApiError, sendError } from './errors.js';
import { openApiDocument } from './openapi.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerCheckRoutes } from './routes/checks.js';
import { registerConsoleApiRoutes } from './routes/console-api.js';
import { registerDeliveryRoutes } from './routes/deliveries.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHookRoutes } from './routes/hooks.js';
import { registerIncidentRoutes } from './routes/incidents.js';
import { registerSilenceRoutes } from './routes/silences.js';

export interface ApiDeps {
  store: () => Store;
  clock: Clock;
  config: () => HeraldConfig;
  ingestor: Ingestor;
  metrics: Metrics;
  log: Logger;
  reload: () => Promise<{ receivers: string[] }>;
  /** New work was queued outside ingest (replay). */
  wake: () => void;
  dryRun: (event: HeraldEvent) => Promise<{ receiver: string; type: string; output: RenderedOutput[] }[]>;
  receiverTypes: () => { type: string; version: string; displayName: string; docsUrl?: string; origin: string; schema: unknown }[];
  /** The HTTP source configured under this name. */
  httpSource: (name: string) => HttpSourceInstance | undefined;
  /** Prometheus' alert list → events, or why it is not one. */
  prometheusAlerts: (body: unknown) => { events: EventInput[] } | { error: string };
  /** Acknowledges a firing incident and passes it on to the route's receivers that can (PagerDuty). */
  acknowledgeIncident: (id: string, by: string, comment?: string) => Promise<'not_found' | 'not_firing' | { notified: string[] }>;
  /** Resolves a firing incident by hand; the route's policy sends the resolved notification. */
  resolveIncident: (id: string, by?: string) => Promise<'not_found' | 'not_firing' | 'resolved'>;
  /** Health checks' state and recent results (all, or by name). */
  checks: () => { name: string; inspect(): unknown }[];
  /** Fits, validates and durably commits the events of the configured source `source` (an HTTP source's request). */
  emit: (source: string, events: EventInput[], options?: { deliveryId?: string; fingerprint?: string }) => Promise<{ ids: string[]; replayed?: boolean }>;
  /** The same for events an API endpoint maps itself (`/api/v2/alerts`): `source` and `source_type` are `name`; never enriched. */
  emitUnconfigured: (name: string, events: EventInput[]) => Promise<{ ids: string[]; replayed?: boolean }>;
  /** Calls `listener` with the events of every committed ingest (the console's live stream); returns the unsubscribe. */
  subscribe: (listener: (events: HeraldEvent[]) => void) => () => void;
  /** Sends a sample event through one configured receiver now (what `herald test` does). */
  testReceiver: (name: string) => Promise<'not_found' | ReceiverTestResult>;
  /** Each running source's status and counters. */
  sources: () => Promise<SourceStatusView[]>;
}

export interface ReceiverTestResult {
  receiver: string;
  type: string;
  ok: boolean;
  duration_ms: number;
  reason: string | null;
  retryable: boolean | null;
  error: string | null;
  /** The target's answer to the last request, secrets masked. */
  response: { status: number; body: string } | null;
}

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

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    rawBody?: string;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; absent means public. */
    scope?: Scope;
  }
}

const isIngest = (req: FastifyRequest) => req.method === 'POST' && req.url.split('?')[0] === '/api/v1/events';

/** Builds the API. Nothing here touches a concrete store or receiver. */
export function buildServer(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.config().server.bodyLimit,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    req.principal = OPEN_PRINCIPAL;
  });

  // Our own JSON parser keeps the raw text (idempotency fingerprint) and
  // gives precise messages; other content types get 415 from fastify.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(/^application\/([\w.+-]+\+)?json\s*(;.*)?$/i, { parseAs: 'string' }, (req: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    req.rawBody = text;
    if (text.trim() === '') return done(new ApiError(400, 'invalid_json', 'request body is empty; send a JSON event or array of events'));
    try {
      // Depth-limited (JSON_MAX_DEPTH), __proto__ keys dropped: one parser for all untrusted JSON.
      done(null, parseUntrustedJson(text, 'request body'));
    } catch (err) {
      done(new ApiError(400, 'invalid_json', (err as Error).message));
    }
  });

  // The web console signs in with a token and then rides on a session cookie (src/http/console.ts).
  const sessions = new ConsoleSessions(deps.clock, () => deps.config().auth.tokens);
  app.addHook('onRequest', async (req, reply) => {
    const scope = req.routeOptions.config?.scope;
    if (!scope) return;
    const forged = sessions.forgery(req);
    if (forged) return sendError(reply, 403, 'csrf', forged);
    const tokens = deps.config().auth.tokens;
    if (tokens.length === 0) return;
    const principal = req.headers.authorization === undefined ? sessions.lookup(req)?.principal : authenticate(tokens, req.headers.authorization);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="herald"');
      if (isIngest(req)) deps.metrics.ingestRejected('unauthorized');
      return sendError(reply, 401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');
    }
    if (!principal.scopes.includes(scope) && !principal.scopes.includes('admin')) {
      if (isIngest(req)) deps.metrics.ingestRejected('forbidden');
      return sendError(reply, 403, 'forbidden', `token "${principal.name}" lacks the "${scope}" scope`);
    }
    req.principal = principal;
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ApiError) {
      if (err.headers) reply.headers(err.headers);
      if (isIngest(req)) deps.metrics.ingestRejected(err.code);
      return sendApiError(reply, err);
    }
    if (
      err instanceof StoreUnavailableError ||
      /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT)/.test(String((err as { code?: unknown }).code ?? ''))
    ) {
      reply.header('retry-after', '5');
      if (isIngest(req)) deps.metrics.ingestRejected('store_unavailable');
      deps.log.error({ err }, 'store unavailable');
      return sendError(reply, 503, 'store_unavailable', 'the store is unavailable; nothing was stored, retry later');
    }
    const e = err as { code?: string; statusCode?: number; message: string };
    const mapped: Record<string, [number, ApiSlug, string]> = {
      FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', `request body exceeds ${deps.config().server.bodyLimit} bytes`],
      FST_ERR_CTP_INVALID_MEDIA_TYPE: [
        415,
        'unsupported_media_type',
        `Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')} is not supported; use application/json`,
      ],
      FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request', 'Content-Length does not match the body'],
      FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'request body is empty'],
    };
    const m = e.code ? mapped[e.code] : undefined;
    if (m) {
      if (isIngest(req)) deps.metrics.ingestRejected(m[1]);
      return sendError(reply, m[0], m[1], m[2]);
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendError(reply, e.statusCode, 'bad_request', e.message);
    deps.log.error({ err, url: req.url, method: req.method }, 'unhandled API error');
    return sendError(reply, 500, 'internal', 'internal error; see the Herald log');
  });

  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'not_found', `no route ${req.method} ${req.url.split('?')[0]}`));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.store().ping();
      return { status: 'ready' };
    } catch (err) {
      return sendError(reply, 503, 'not_ready', `store unreachable: ${(err as Error).message}`);
    }
  });
  app.get('/metrics', { config: { scope: 'read' } }, async (_req, reply) => {
    reply.type(deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
  app.get('/api/v1/openapi.json', async () => openApiDocument);

  registerEventRoutes(app, deps);
  registerDeliveryRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerHookRoutes(app, deps);
  registerAlertRoutes(app, deps);
  registerIncidentRoutes(app, deps);
  registerSilenceRoutes(app, deps);
  registerCheckRoutes(app, deps);
  registerConsoleApiRoutes(app, deps);
  registerConsole(app, { clock: deps.clock, sessions, tokens: () => deps.config().auth.tokens });
  return app;
}
