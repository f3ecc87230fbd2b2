import { SourceRejection } from '@herald/sdk';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import type { ApiDeps } from '../server.js';

/**
 * Alertmanager's `POST /api/v2/alerts`, so Prometheus or vmalert can use
 * Herald as their Alertmanager (`alerting.alertmanagers` pointing here, with
 * an ingest token as `authorization` when tokens are configured).
 */
export function registerAlertRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post('/api/v2/alerts', { config: { scope: 'ingest' } }, async (req, reply) => {
    if (req.body === undefined || req.body === null) {
      throw new ApiError(req.headers['content-type'] ? 400 : 415, 'invalid_alerts', 'send a JSON list of alerts with Content-Type: application/json');
    }
    const mapped = deps.prometheusAlerts(req.body);
    if ('error' in mapped) {
      deps.metrics.sourceRejected('prometheus', 'invalid_alerts');
      throw new ApiError(400, 'invalid_alerts', mapped.error);
    }
    try {
      const { ids } = await deps.emitUnconfigured('prometheus', mapped.events);
      return reply.code(200).send({ ids });
    } catch (err) {
      if (err instanceof SourceRejection) throw ApiError.fromSource(err.status, err.code, err.message);
      throw err;
    }
  });
}
