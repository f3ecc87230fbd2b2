import type { Clock, EventInput, HeraldEvent, ReceiverDefinition } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { toHeraldEvent, validateEvent } from '../../core/event.js';
import { type Route, route } from '../../core/routing.js';
import { newId } from '../../lib/ids.js';
import type { DryRunResult } from '../../pipeline/dry-run.js';
import { ApiError } from '../errors.js';

export interface AdminRouteDeps {
  clock: Clock;
  routes: () => readonly Route[];
  /** What each receiver the event is routed to would send; nothing is sent. */
  dryRun: (event: HeraldEvent) => Promise<DryRunResult[]>;
  /** Reads the config file again and applies it; throws (nothing applied) when it is refused. */
  reload: () => Promise<{ receivers: string[] }>;
  /** The registered receiver types and where each came from (`built-in` or its npm package). */
  receiverTypes: () => readonly { definition: ReceiverDefinition; origin: string }[];
}

/** Routing dry run, reload, and the receiver types this Herald has. */
export const adminRoutes: FastifyPluginAsync<AdminRouteDeps> = async (app, deps) => {
  app.post('/api/v1/routes/test', { config: { scope: 'read' } }, async (req) => {
    const issues = validateEvent(req.body);
    if (issues.length > 0) throw new ApiError(400, 'invalid_event', issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; '), issues);
    const event = toHeraldEvent(req.body as EventInput, newId(), deps.clock.now());
    const decision = route(deps.routes(), event);
    return { event, matched_routes: decision.matchedRoutes, receivers: await deps.dryRun(event) };
  });

  app.post('/api/v1/reload', { config: { scope: 'admin' } }, async () => {
    try {
      return { status: 'reloaded', ...(await deps.reload()) };
    } catch (err) {
      throw new ApiError(400, 'invalid_config', `reload refused, the running configuration stays: ${(err as Error).message}`);
    }
  });

  app.get('/api/v1/receiver-types', { config: { scope: 'read' } }, async () => ({
    receiver_types: deps
      .receiverTypes()
      .map(({ definition: d, origin }) => ({ type: d.type, version: d.version, displayName: d.displayName, docsUrl: d.docsUrl, origin, schema: d.config })),
  }));
};
