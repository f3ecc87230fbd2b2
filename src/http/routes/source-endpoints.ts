import { type Clock, type EventInput, type SourceEndpoint, SourceRejection } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';
import { ApiError } from '../errors.js';

export interface SourceEndpointRouteDeps {
  /** The endpoints source types declare (`capabilities.endpoints`), e.g. Alertmanager's `POST /api/v2/alerts`. */
  endpoints: () => readonly SourceEndpoint[];
  clock: Clock;
  metrics: Pick<Metrics, 'sourceRejected'>;
  /** Commits events an endpoint mapped: `source` and `source_type` are `name`; never enriched. */
  emitUnconfigured: (name: string, events: EventInput[]) => Promise<{ ids: string[]; replayed?: boolean }>;
}

/**
 * The API endpoints source types add beside `/hooks/<name>`. Routes are made for the endpoints
 * known when the server is built (Fastify fixes its routes then); each request maps with the
 * endpoint its path has now, so a reloaded plugin's new version answers.
 */
export const sourceEndpointRoutes: FastifyPluginAsync<SourceEndpointRouteDeps> = async (app, deps) => {
  const paths = new Map<string, string>();
  for (const endpoint of deps.endpoints()) {
    const earlier = paths.get(endpoint.path);
    if (earlier !== undefined) throw new Error(`source endpoint POST ${endpoint.path} is declared twice (for "${earlier}" and "${endpoint.source}")`);
    if (!endpoint.path.startsWith('/api/')) throw new Error(`source endpoint ${endpoint.path} (for "${endpoint.source}") must be under /api/`);
    paths.set(endpoint.path, endpoint.source);
    app.post(endpoint.path, { config: { scope: 'ingest' } }, async (req, reply) => {
      const current = deps.endpoints().find((e) => e.path === endpoint.path);
      if (!current) throw new ApiError(404, 'not_found', `no route POST ${endpoint.path}`);
      if (req.body === undefined || req.body === null) {
        throw ApiError.fromSource(req.headers['content-type'] ? 400 : 415, current.invalidCode, current.expects);
      }
      const refused = (err: unknown) => (err instanceof SourceRejection ? ApiError.fromSource(err.status, err.code, err.message) : err);
      let events: EventInput[];
      try {
        events = current.map(req.body, deps.clock.now());
      } catch (err) {
        // A body the endpoint cannot map counts as a refusal by its source (metrics, the console's counters).
        if (err instanceof SourceRejection) deps.metrics.sourceRejected(current.source, err.code);
        throw refused(err);
      }
      try {
        const { ids } = await deps.emitUnconfigured(current.source, events);
        return reply.code(200).send({ ids });
      } catch (err) {
        throw refused(err);
      }
    });
  }
};
