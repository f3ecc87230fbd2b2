import { createHash } from 'node:crypto';
import type { EventInput } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { EVENT_LIMITS, stampSourceType, validateEvent } from '../../core/event.js';
import type { Metrics } from '../../metrics/metrics.js';
import type { Ingestor } from '../../pipeline/ingestor.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { parseListQuery } from './query.js';

export interface EventRouteDeps {
  store: () => Store;
  ingestor: Pick<Ingestor, 'prepare' | 'submit'>;
  metrics: Pick<Metrics, 'eventsReceived'>;
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,255}$/;

/** `POST /api/v1/events` (ingest) and the stored events' list and detail. */
export const eventRoutes: FastifyPluginAsync<EventRouteDeps> = async (app, deps) => {
  app.post('/api/v1/events', { config: { scope: 'ingest' } }, async (req, reply) => {
    if (req.body === undefined || req.body === null) {
      throw new ApiError(
        req.headers['content-type'] ? 400 : 415,
        req.headers['content-type'] ? 'invalid_json' : 'unsupported_media_type',
        'send a JSON event or array of events with Content-Type: application/json',
      );
    }
    const batch = Array.isArray(req.body);
    const inputs = (batch ? req.body : [req.body]) as unknown[];
    if (inputs.length === 0) throw new ApiError(400, 'invalid_event', 'the batch is empty; send at least one event');
    if (inputs.length > EVENT_LIMITS.batchSize) {
      throw new ApiError(400, 'batch_too_large', `a batch holds at most ${EVENT_LIMITS.batchSize} events (got ${inputs.length})`);
    }
    const issues = inputs.flatMap((input, i) => validateEvent(input, batch ? `[${i}]` : ''));
    if (issues.length > 0) {
      const shown = issues.slice(0, 5).map((i) => `${i.path || '(event)'}: ${i.message}`);
      const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
      throw new ApiError(400, 'invalid_event', `${shown.join('; ')}${more}`, issues.slice(0, 100));
    }
    let idempotency: { key: string; fingerprint: string } | undefined;
    const rawKey = req.headers['idempotency-key'];
    if (rawKey !== undefined) {
      const key = Array.isArray(rawKey) ? rawKey[0] : rawKey;
      if (key === undefined || !IDEMPOTENCY_KEY_RE.test(key)) {
        throw new ApiError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1–255 printable ASCII characters without spaces');
      }
      const fingerprint = createHash('sha256')
        .update(req.rawBody ?? JSON.stringify(req.body))
        .digest('hex');
      idempotency = { key: `${req.principal.name}:${key}`, fingerprint };
    }
    // Posted straight to the API: `source` is whatever the client says, `source_type` is always `api`.
    const stamped = (inputs as EventInput[]).map((e) => stampSourceType(e, 'api'));
    const outcome = await deps.ingestor.submit(deps.ingestor.prepare(stamped, idempotency));
    if (outcome.kind === 'conflict') {
      throw new ApiError(422, 'idempotency_conflict', 'this Idempotency-Key was already used with a different body in the last 24 hours');
    }
    if (outcome.kind === 'replayed') {
      reply.header('idempotent-replayed', 'true');
    } else {
      const bySource = new Map<string, number>();
      for (const e of inputs as EventInput[]) bySource.set(e.source ?? 'api', (bySource.get(e.source ?? 'api') ?? 0) + 1);
      for (const [source, n] of bySource) deps.metrics.eventsReceived(source, n);
    }
    return reply.code(202).send({ ids: outcome.ids });
  });

  app.get('/api/v1/events', { config: { scope: 'read' } }, async (req) => {
    const q = parseListQuery(req.query, ['source', 'status', 'key', 'since', 'until', 'cursor', 'limit']);
    const events = await deps.store().listEvents({
      source: q.string('source'),
      status: q.oneOf('status', ['firing', 'resolved', 'info']),
      key: q.string('key'),
      since: q.time('since'),
      until: q.time('until'),
      before: q.string('cursor'),
      // One more than asked tells whether another page exists.
      limit: q.limit() + 1,
    });
    const more = events.length > q.limit();
    if (more) events.pop();
    return { events, next_cursor: more ? events.at(-1)?.id : null };
  });

  app.get<{ Params: { id: string } }>('/api/v1/events/:id', { config: { scope: 'read' } }, async (req) => {
    const found = await deps.store().getEvent(req.params.id);
    if (!found) throw new ApiError(404, 'not_found', `no event ${req.params.id}`);
    return found;
  });
};
