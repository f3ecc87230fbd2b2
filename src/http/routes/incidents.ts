import type { FastifyInstance } from 'fastify';
import { type Incident, incidentView } from '../../core/incidents.js';
import { ApiError } from '../errors.js';
import type { ApiDeps } from '../server.js';
import { parseListQuery } from './query.js';

function view(i: Incident) {
  return {
    ...incidentView(i),
    group: i.groupKey,
    labels: i.labels,
    acknowledged_at: i.acknowledgedAt === null ? null : new Date(i.acknowledgedAt).toISOString(),
    acknowledged_by: i.acknowledgedBy,
    notified: i.notified,
    next_repeat_at: i.repeatAt === null ? null : new Date(i.repeatAt).toISOString(),
  };
}

/** Incidents of routes with a notification policy: list, inspect, acknowledge, resolve. */
export function registerIncidentRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get('/api/v1/incidents', { config: { scope: 'read' } }, async (req) => {
    const q = parseListQuery(req.query, ['status', 'route', 'cursor', 'limit']);
    const list = await deps
      .store()
      .listIncidents({ status: q.oneOf('status', ['firing', 'resolved']), route: q.string('route'), before: q.string('cursor'), limit: q.limit() + 1 });
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
    const result = await deps.acknowledgeIncident(req.params.id, req.principal.name);
    if (result === 'not_found') throw new ApiError(404, 'not_found', `no incident ${req.params.id}`);
    if (result === 'not_firing') throw new ApiError(409, 'not_firing', `incident ${req.params.id} is not firing or is already acknowledged`);
    return reply.code(200).send({ acknowledged: true, notified: result.notified });
  });

  app.post<{ Params: { id: string } }>('/api/v1/incidents/:id/resolve', { config: { scope: 'admin' } }, async (req, reply) => {
    const result = await deps.resolveIncident(req.params.id);
    if (result === 'not_found') throw new ApiError(404, 'not_found', `no incident ${req.params.id}`);
    if (result === 'not_firing') throw new ApiError(409, 'not_firing', `incident ${req.params.id} is not firing`);
    return reply.code(200).send({ resolved: true });
  });
}
