import { type Clock, type Logger, type Static, Type } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { type Incident, incidentView } from '../../core/incidents.js';
import { compileValidator, type ValidationIssue } from '../../lib/validate.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { parseListQuery } from './query.js';

export interface IncidentRouteDeps {
  store: () => Store;
  clock: Clock;
  log: Logger;
  /** Acknowledges a firing incident and passes it on to the route's receivers that can (PagerDuty). */
  acknowledgeIncident: (id: string, by: string, comment?: string) => Promise<'not_found' | 'not_firing' | { notified: string[] }>;
  /** Resolves a firing incident by hand; the route's policy sends the resolved notification. */
  resolveIncident: (id: string, by?: string) => Promise<'not_found' | 'not_firing' | 'resolved'>;
}

/** What an on-call engineer sees: firing and not yet acknowledged, acknowledged (still firing), resolved. */
export const INCIDENT_STATES = ['firing', 'acknowledged', 'resolved'] as const;
type IncidentState = (typeof INCIDENT_STATES)[number];

function stateOf(i: Incident): IncidentState {
  if (i.status === 'resolved') return 'resolved';
  return i.acknowledgedAt === null ? 'firing' : 'acknowledged';
}

function view(i: Incident) {
  return {
    ...incidentView(i),
    state: stateOf(i),
    group: i.groupKey,
    labels: i.labels,
    acknowledged_at: i.acknowledgedAt === null ? null : new Date(i.acknowledgedAt).toISOString(),
    acknowledged_by: i.acknowledgedBy,
    acknowledged_comment: i.acknowledgedComment ?? null,
    resolved_by: i.resolvedBy ?? null,
    notified: i.notified,
    next_repeat_at: i.repeatAt === null ? null : new Date(i.repeatAt).toISOString(),
  };
}

// A name is shown on one line next to the incident: printable, no line breaks (no log forging).
const NAME = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'who; default: the token name' });
export const AckBodySchema = Type.Object(
  { by: Type.Optional(NAME), comment: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'why, or what happens next' })) },
  { additionalProperties: false },
);
export const ResolveBodySchema = Type.Object({ by: Type.Optional(NAME) }, { additionalProperties: false });
const ackValidator = compileValidator<Static<typeof AckBodySchema>>(AckBodySchema);
const resolveValidator = compileValidator<Static<typeof ResolveBodySchema>>(ResolveBodySchema);

/** The optional body of ack/resolve; an absent body is `{}`. */
function readBody<T>(body: unknown, v: { check(b: unknown): b is T; issues(b: unknown): ValidationIssue[] }): T {
  const b = body === undefined || body === null || body === '' ? {} : body;
  if (!v.check(b)) {
    const issues = v.issues(b);
    throw new ApiError(400, 'invalid_body', issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; '), issues);
  }
  return b;
}

/** Incidents of routes with a notification policy: list, inspect, acknowledge, resolve. */
export const incidentRoutes: FastifyPluginAsync<IncidentRouteDeps> = async (app, deps) => {
  app.get('/api/v1/incidents', { config: { scope: 'read' } }, async (req) => {
    const q = parseListQuery(req.query, ['status', 'state', 'route', 'cursor', 'limit']);
    const status = q.oneOf('status', ['firing', 'resolved']);
    const state = q.oneOf('state', INCIDENT_STATES);
    if (status && state) throw new ApiError(400, 'invalid_query', 'give status or state, not both');
    const filter =
      state === 'firing'
        ? { status: 'firing' as const, acknowledged: false }
        : state === 'acknowledged'
          ? { status: 'firing' as const, acknowledged: true }
          : { status: state ?? status };
    const list = await deps.store().listIncidents({ ...filter, route: q.string('route'), before: q.string('cursor'), limit: q.limit() + 1 });
    const more = list.length > q.limit();
    if (more) list.pop();
    return { incidents: list.map(view), next_cursor: more ? list.at(-1)?.id : null };
  });

  app.get<{ Params: { id: string } }>('/api/v1/incidents/:id', { config: { scope: 'read' } }, async (req) => {
    const incident = await deps.store().getIncident(req.params.id);
    if (!incident) throw new ApiError(404, 'not_found', `no incident ${req.params.id}`);
    const events = await deps.store().listEvents({
      key: incident.key,
      since: incident.firstSeen,
      until: incident.resolvedAt ?? deps.clock.now(),
      limit: 100,
    });
    const notifications = await deps.store().listDeliveries({ incidentId: incident.id, limit: 100 });
    return { ...view(incident), events, notifications };
  });

  app.post<{ Params: { id: string } }>('/api/v1/incidents/:id/ack', { config: { scope: 'admin' } }, async (req, reply) => {
    const body = readBody(req.body, ackValidator);
    // A name given by the caller (the engineer behind a shared token) wins over the token's name.
    const by = body.by ?? req.principal.name;
    const result = await deps.acknowledgeIncident(req.params.id, by, body.comment);
    if (result === 'not_found') throw new ApiError(404, 'not_found', `no incident ${req.params.id}`);
    if (result === 'not_firing') throw new ApiError(409, 'not_firing', `incident ${req.params.id} is not firing or is already acknowledged`);
    deps.log.info({ incident: req.params.id, by, token: req.principal.name }, 'incident acknowledged');
    return reply.code(200).send({ acknowledged: true, by, notified: result.notified });
  });

  app.post<{ Params: { id: string } }>('/api/v1/incidents/:id/resolve', { config: { scope: 'admin' } }, async (req, reply) => {
    const body = readBody(req.body, resolveValidator);
    const by = body.by ?? req.principal.name;
    const result = await deps.resolveIncident(req.params.id, by);
    if (result === 'not_found') throw new ApiError(404, 'not_found', `no incident ${req.params.id}`);
    if (result === 'not_firing') throw new ApiError(409, 'not_firing', `incident ${req.params.id} is not firing`);
    deps.log.info({ incident: req.params.id, by, token: req.principal.name }, 'incident resolved by hand');
    return reply.code(200).send({ resolved: true, by });
  });
};
