import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';
import type { Store } from '../../store/types.js';
import { sendError } from '../errors.js';
import { openApiDocument } from '../openapi.js';

export interface SystemRouteDeps {
  store: () => Store;
  metrics: Pick<Metrics, 'registry'>;
}

/** Probes, Prometheus metrics and the OpenAPI document. */
export const systemRoutes: FastifyPluginAsync<SystemRouteDeps> = async (app, deps) => {
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
};
