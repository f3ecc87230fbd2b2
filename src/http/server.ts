import { type Clock, type Logger, parseUntrustedJson } from '@herald/sdk';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Scope } from '../config/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import { StoreUnavailableError } from '../store/types.js';
import { authenticate, OPEN_PRINCIPAL, type Principal } from './auth.js';
import { ConsoleSessions, consoleRoutes } from './console.js';
import { ApiError, type ApiSlug, sendApiError, sendError } from './errors.js';
import { type AdminRouteDeps, adminRoutes } from './routes/admin.js';
import { type CheckRouteDeps, checkRoutes } from './routes/checks.js';
import { type ConsoleApiDeps, consoleApiRoutes } from './routes/console-api.js';
import { type DeliveryRouteDeps, deliveryRoutes } from './routes/deliveries.js';
import { type EventRouteDeps, eventRoutes } from './routes/events.js';
import { type HookRouteDeps, hookRoutes } from './routes/hooks.js';
import { type IncidentRouteDeps, incidentRoutes } from './routes/incidents.js';
import { type SilenceRouteDeps, silenceRoutes } from './routes/silences.js';
import { type SourceEndpointRouteDeps, sourceEndpointRoutes } from './routes/source-endpoints.js';
import { type SystemRouteDeps, systemRoutes } from './routes/system.js';

/** What the server itself needs: the parts every route group shares (auth, errors, body limit). */
export interface ServerDeps {
  clock: Clock;
  log: Logger;
  /** server.body_limit, fixed for the life of the server (a reload that changes it is refused). */
  bodyLimit: number;
  /** auth.tokens, read on every request so a reload applies at once. */
  tokens: () => readonly { name: string; token: string; scopes: readonly Scope[] }[];
  metrics: Pick<Metrics, 'ingestRejected'>;
}

/** Each route group's own dependencies, declared by its module. */
export interface RouteGroups {
  system: SystemRouteDeps;
  events: EventRouteDeps;
  deliveries: DeliveryRouteDeps;
  admin: AdminRouteDeps;
  hooks: HookRouteDeps;
  sourceEndpoints: SourceEndpointRouteDeps;
  incidents: IncidentRouteDeps;
  silences: SilenceRouteDeps;
  checks: CheckRouteDeps;
  consoleApi: ConsoleApiDeps;
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

/**
 * Builds the API: the shared request handling here on the root (auth hook, JSON parser, error and
 * not-found handlers, all set before any group is registered, so every encapsulated group inherits
 * them), then one Fastify plugin per route group with only its own dependencies.
 */
export function buildServer(deps: ServerDeps, groups: RouteGroups): FastifyInstance {
  const app = Fastify({
    bodyLimit: deps.bodyLimit,
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
  const sessions = new ConsoleSessions(deps.clock, deps.tokens);
  app.addHook('onRequest', async (req, reply) => {
    const scope = req.routeOptions.config?.scope;
    if (!scope) return;
    const forged = sessions.forgery(req);
    if (forged) return sendError(reply, 403, 'csrf', forged);
    const tokens = deps.tokens();
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
      FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', `request body exceeds ${deps.bodyLimit} bytes`],
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

  app.register(systemRoutes, groups.system);
  app.register(eventRoutes, groups.events);
  app.register(deliveryRoutes, groups.deliveries);
  app.register(adminRoutes, groups.admin);
  app.register(hookRoutes, groups.hooks);
  app.register(sourceEndpointRoutes, groups.sourceEndpoints);
  app.register(incidentRoutes, groups.incidents);
  app.register(silenceRoutes, groups.silences);
  app.register(checkRoutes, groups.checks);
  app.register(consoleApiRoutes, groups.consoleApi);
  app.register(consoleRoutes, { clock: deps.clock, sessions, tokens: deps.tokens });
  return app;
}
