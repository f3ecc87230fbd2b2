import type { EventInput } from '@herald/sdk';
import type { FastifyInstance } from 'fastify';
import { toHeraldEvent, validateEvent } from '../../core/event.js';
import { route } from '../../core/routing.js';
import { newId } from '../../lib/ids.js';
import { ApiError } from '../errors.js';
import type { ApiDeps } from '../server.js';

export function registerAdminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post('/api/v1/routes/test', { config: { scope: 'read' } }, async (req) => {
    const issues = validateEvent(req.body);
    if (issues.length > 0) throw new ApiError(400, 'invalid_event', issues.map((i) => `${i.path || '(event)'}: ${i.message}`).join('; '), issues);
    const event = toHeraldEvent(req.body as EventInput, newId(), deps.clock.now());
    const decision = route(deps.config().routes, event);
    return { event, matched_routes: decision.matchedRoutes, receivers: await deps.dryRun(event) };
  });

  app.post('/api/v1/reload', { config: { scope: 'admin' } }, async () => {
    try {
      return { status: 'reloaded', ...(await deps.reload()) };
    } catch (err) {
      throw new ApiError(400, 'invalid_config', `reload refused, the running configuration stays: ${(err as Error).message}`);
    }
  });

  app.get('/api/v1/receiver-types', { config: { scope: 'read' } }, async () => ({ receiver_types: deps.receiverTypes() }));
}
