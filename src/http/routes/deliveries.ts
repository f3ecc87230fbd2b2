import type { Clock } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { DELIVERY_STATES, type Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { parseListQuery } from './query.js';

export interface DeliveryRouteDeps {
  store: () => Store;
  clock: Clock;
  /** New work was queued outside ingest (replay): wake the delivery engine. */
  wake: () => void;
}

/** The delivery queue: list, replay one, replay the dead-lettered. */
export const deliveryRoutes: FastifyPluginAsync<DeliveryRouteDeps> = async (app, deps) => {
  app.get('/api/v1/deliveries', { config: { scope: 'read' } }, async (req) => {
    const q = parseListQuery(req.query, ['state', 'receiver', 'cursor', 'limit']);
    const deliveries = await deps.store().listDeliveries({
      state: q.oneOf('state', DELIVERY_STATES),
      receiver: q.string('receiver'),
      before: q.string('cursor'),
      limit: q.limit() + 1,
    });
    const more = deliveries.length > q.limit();
    if (more) deliveries.pop();
    return { deliveries, next_cursor: more ? deliveries.at(-1)?.id : null };
  });

  app.post<{ Params: { id: string } }>('/api/v1/deliveries/:id/replay', { config: { scope: 'admin' } }, async (req, reply) => {
    const replayed = await deps.store().replay({ ids: [req.params.id] }, deps.clock.now());
    if (replayed.length === 0) {
      if (!(await deps.store().getDelivery(req.params.id))) throw new ApiError(404, 'not_found', `no delivery ${req.params.id}`);
      throw new ApiError(409, 'delivery_running', `delivery ${req.params.id} is being sent right now; replay it once it has finished`);
    }
    deps.wake();
    return reply.code(202).send({ replayed });
  });

  app.post('/api/v1/deliveries/replay', { config: { scope: 'admin' } }, async (req, reply) => {
    const q = parseListQuery(req.query, ['state']);
    const state = q.oneOf('state', ['dead'] as const);
    if (state !== 'dead') throw new ApiError(400, 'invalid_query', 'state: required; only state=dead can be replayed in bulk');
    const replayed = await deps.store().replay({ state: 'dead' }, deps.clock.now());
    deps.wake();
    return reply.code(202).send({ replayed });
  });
};
