import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { type EventInput, type HttpSourceInstance, SourceRejection } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics/metrics.js';
import { ApiError } from '../errors.js';

export interface HookRouteDeps {
  /** The HTTP source configured under this name. */
  httpSource: (name: string) => HttpSourceInstance | undefined;
  /** server.body_limit: a source's default limit. */
  bodyLimit: number;
  metrics: Pick<Metrics, 'sourceRejected'>;
  /** Fits, validates and durably commits the events of the configured source `source` (an HTTP source's request). */
  emit: (source: string, events: EventInput[], options?: { deliveryId?: string; fingerprint?: string }) => Promise<{ ids: string[]; replayed?: boolean }>;
}

class BodyTooLarge extends Error {}

/** Reads a request body, refusing it as soon as it passes `limit` bytes. */
async function readLimited(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * `/hooks/<source name>`: HTTP sources verify and map their senders' payloads.
 * No API token here: each source authenticates its sender (signature, token).
 * The body is taken raw so signatures are checked over the exact bytes sent.
 */
export const hookRoutes: FastifyPluginAsync<HookRouteDeps> = async (scope, deps) => {
  // Encapsulated: the raw-body parser stays inside this group; the API's JSON parser is not used here.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  scope.post<{ Params: { name: string } }>('/hooks/:name', async (req, reply) => {
    const name = req.params.name;
    const source = deps.httpSource(name);
    if (!source) throw new ApiError(404, 'not_found', `no HTTP source named "${name}" (configure one under sources:)`);
    const limit = source.maxBodyBytes ?? deps.bodyLimit;
    const refuse = (status: number, code: string, detail: string) => {
      deps.metrics.sourceRejected(name, code);
      return ApiError.fromSource(status, code, detail);
    };
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      reply.header('connection', 'close');
      throw refuse(413, 'payload_too_large', `request body exceeds this source's limit of ${limit} bytes`);
    }
    let rawBody: Buffer;
    try {
      rawBody = req.body ? await readLimited(req.body as Readable, limit) : Buffer.alloc(0);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      reply.header('connection', 'close');
      throw refuse(413, 'payload_too_large', `request body exceeds this source's limit of ${limit} bytes`);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    let events: EventInput[];
    let deliveryId: string | undefined;
    try {
      const result = await (source as HttpSourceInstance).handle({ method: req.method, headers, query: req.query as Record<string, string>, rawBody });
      ({ events, deliveryId } = Array.isArray(result) ? { events: result, deliveryId: undefined } : result);
    } catch (err) {
      if (err instanceof SourceRejection) throw refuse(err.status, err.code, err.message);
      throw err;
    }
    let outcome: { ids: string[]; replayed?: boolean };
    try {
      const fingerprint = createHash('sha256').update(rawBody).digest('hex');
      outcome = await deps.emit(name, events, { deliveryId, fingerprint });
    } catch (err) {
      if (err instanceof SourceRejection) throw refuse(err.status, err.code, err.message);
      throw err;
    }
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    // Senders test their hook with a ping that maps to no event; that is a success too.
    return reply.code(events.length === 0 ? 200 : 202).send({ ids: outcome.ids });
  });
};
