import { EventInputSchema } from '../core/event.js';
import { DELIVERY_STATES } from '../store/types.js';
import { AckBodySchema, ResolveBodySchema } from './routes/incidents.js';
import { NewSilenceSchema } from './routes/silences.js';

/** TypeBox schemas are JSON Schema plus internal `~` keys; drop those. */
function clean(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !k.startsWith('~'))
        .map(([k, v]) => [k, clean(v)]),
    );
  }
  return value;
}

const error = { $ref: '#/components/schemas/Error' };
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [String(c), { description: 'error', content: { 'application/json': { schema: error } } }]));
const json = (schema: unknown) => ({ 'application/json': { schema } });
const listParams = (names: [string, string][]) =>
  names.map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));

export const openApiDocument = {
  openapi: '3.1.0',
  info: { title: 'Herald API', version: '1', description: 'Ingest events, inspect deliveries, replay dead letters. See docs/api.md.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from auth.tokens with the scope each operation names' } },
    schemas: {
      EventInput: clean(EventInputSchema),
      Error: {
        type: 'object',
        required: ['error', 'detail'],
        properties: {
          error: { type: 'string', description: 'stable code, e.g. invalid_event' },
          detail: { type: 'string', description: 'what was wrong, naming the field' },
          issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
      NewSilence: clean(NewSilenceSchema),
      IncidentAck: clean(AckBodySchema),
      IncidentResolve: clean(ResolveBodySchema),
      Silence: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          matchers: { type: 'array', items: { type: 'string' } },
          starts_at: { type: 'string', format: 'date-time' },
          ends_at: { type: 'string', format: 'date-time' },
          author: { type: 'string' },
          comment: { type: 'string' },
          state: { enum: ['active', 'pending', 'expired'] },
          origin: { enum: ['api', 'config'], description: 'config silences are read-only here' },
          created_at: { type: ['string', 'null'], format: 'date-time' },
          expired_at: { type: ['string', 'null'], format: 'date-time', description: 'when it was expired by hand' },
        },
      },
      Delivery: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          event_id: { type: 'string' },
          receiver: { type: 'string' },
          state: { enum: DELIVERY_STATES },
          attempts: { type: 'integer' },
          tries: { type: 'integer' },
          run_at: { type: 'string', format: 'date-time' },
          last_error: { type: ['string', 'null'] },
          last_status: { type: ['integer', 'null'] },
        },
      },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/events': {
      post: {
        summary: 'Ingest one event or a batch (scope: ingest)',
        parameters: [
          {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            schema: { type: 'string', maxLength: 255 },
            description: 'same key and body within 24 h: same answer, stored once',
          },
        ],
        requestBody: {
          required: true,
          content: json({
            oneOf: [
              { $ref: '#/components/schemas/EventInput' },
              { type: 'array', minItems: 1, maxItems: 1000, items: { $ref: '#/components/schemas/EventInput' } },
            ],
          }),
        },
        responses: {
          '202': { description: 'committed durably', content: json({ type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } } }) },
          ...errors(400, 401, 403, 413, 415, 422, 503),
        },
      },
      get: {
        summary: 'List events, newest first (scope: read)',
        parameters: listParams([
          ['source', 'exact source'],
          ['status', 'firing | resolved | info'],
          ['key', 'exact key'],
          ['since', 'received at or after (RFC 3339)'],
          ['until', 'received at or before (RFC 3339)'],
          ['cursor', 'next_cursor of the previous page'],
          ['limit', '1–500, default 50'],
        ]),
        responses: { '200': { description: 'a page of events', content: json({ type: 'object' }) }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/events/{id}': {
      get: {
        summary: 'One event with its deliveries and every attempt (scope: read)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the event', content: json({ type: 'object' }) }, ...errors(401, 403, 404) },
      },
    },
    '/api/v1/deliveries': {
      get: {
        summary: 'List deliveries, newest first (scope: read)',
        parameters: listParams([
          ['state', DELIVERY_STATES.join(' | ')],
          ['receiver', 'receiver name'],
          ['cursor', 'next_cursor of the previous page'],
          ['limit', '1–500, default 50'],
        ]),
        responses: {
          '200': {
            description: 'a page of deliveries',
            content: json({ type: 'object', properties: { deliveries: { type: 'array', items: { $ref: '#/components/schemas/Delivery' } } } }),
          },
          ...errors(400, 401, 403),
        },
      },
    },
    '/api/v1/deliveries/{id}/replay': {
      post: {
        summary: 'Send a delivery again now (scope: admin)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '202': { description: 're-queued' }, ...errors(401, 403, 404, 409) },
      },
    },
    '/api/v1/deliveries/replay': {
      post: {
        summary: 'Re-queue every dead delivery (scope: admin)',
        parameters: [{ name: 'state', in: 'query', required: true, schema: { const: 'dead' } }],
        responses: { '202': { description: 're-queued' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/silences': {
      post: {
        summary: 'Create a silence: matching incident notifications are recorded as suppressed, not sent (scope: admin)',
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/NewSilence' }) },
        responses: { '201': { description: 'created', content: json({ $ref: '#/components/schemas/Silence' }) }, ...errors(400, 401, 403, 415, 503) },
      },
      get: {
        summary: 'Silences from the API and the config file: active and pending, or every one with all=true (scope: read)',
        parameters: listParams([['all', 'true: include expired silences']]),
        responses: {
          '200': {
            description: 'silences',
            content: json({ type: 'object', properties: { silences: { type: 'array', items: { $ref: '#/components/schemas/Silence' } } } }),
          },
          ...errors(400, 401, 403),
        },
      },
    },
    '/api/v1/silences/{id}': {
      delete: {
        summary: 'Expire a silence now; config silences cannot be expired here (409) (scope: admin)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'expired' }, ...errors(401, 403, 404, 409) },
      },
    },
    '/api/v1/routes/test': {
      post: {
        summary: 'Dry run: which receivers an event would reach and what each would send; sends nothing (scope: read)',
        requestBody: { required: true, content: json({ $ref: '#/components/schemas/EventInput' }) },
        responses: { '200': { description: 'the routing decision and rendered requests' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/reload': {
      post: {
        summary: 'Reload herald.yaml; a bad file is refused and the old config keeps running (scope: admin)',
        responses: { '200': { description: 'reloaded' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/receiver-types': {
      get: { summary: 'Receiver types with their config JSON Schema (scope: read)', responses: { '200': { description: 'types' } } },
    },
    '/hooks/{name}': {
      post: {
        summary: "An HTTP source's endpoint: the sender's own payload, verified by the source (its signature or token, not the API tokens)",
        security: [],
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'the source name from sources:' }],
        requestBody: { required: true, content: { '*/*': { schema: {} } } },
        responses: {
          '200': { description: 'a delivery that maps to no event (e.g. a ping)' },
          '202': { description: 'committed durably', content: json({ type: 'object', properties: { ids: { type: 'array', items: { type: 'string' } } } }) },
          ...errors(400, 401, 404, 413, 415, 422, 503),
        },
      },
    },
    '/api/v2/alerts': {
      post: {
        summary: "Alertmanager's alert API for Prometheus and vmalert: a list of alerts (scope: ingest)",
        requestBody: { required: true, content: json({ type: 'array', items: { type: 'object', required: ['labels'] } }) },
        responses: { '200': { description: 'committed durably' }, ...errors(400, 401, 403, 413, 415, 503) },
      },
    },
    '/api/v1/incidents': {
      get: {
        summary: 'Incidents of routes with a policy, newest first (scope: read)',
        parameters: listParams([
          ['state', 'firing (not acknowledged), acknowledged (still firing) or resolved'],
          ['status', 'firing (acknowledged or not) or resolved; not with state'],
          ['route', 'route name'],
          ['cursor', 'next_cursor of the previous page'],
          ['limit', '1–500, default 50'],
        ]),
        responses: { '200': { description: 'incidents' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/incidents/{id}': {
      get: {
        summary: 'One incident with its events and notifications (scope: read)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the incident' }, ...errors(401, 403, 404) },
      },
    },
    '/api/v1/incidents/{id}/ack': {
      post: {
        summary: 'Acknowledge: stops repeats, tells receivers that support it; records `by` (default: the token name) and `comment` (scope: admin)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: false, content: json({ $ref: '#/components/schemas/IncidentAck' }) },
        responses: { '200': { description: 'acknowledged' }, ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/api/v1/incidents/{id}/resolve': {
      post: {
        summary: 'Resolve by hand; records `by` (default: the token name) (scope: admin)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: false, content: json({ $ref: '#/components/schemas/IncidentResolve' }) },
        responses: { '200': { description: 'resolved' }, ...errors(400, 401, 403, 404, 409) },
      },
    },
    '/api/v1/checks': {
      get: { summary: 'Health checks with their state and last result (scope: read)', responses: { '200': { description: 'checks' }, ...errors(401, 403) } },
    },
    '/api/v1/checks/{name}': {
      get: {
        summary: 'One health check: state, counters and its last 100 results (scope: read)',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the check' }, ...errors(401, 403, 404) },
      },
    },
    '/api/v1/search/events': {
      get: {
        summary: 'Events filtered by source, status, severity, label matchers (match, repeatable) and text (q), newest first (scope: read)',
        parameters: listParams([
          ['source', 'exact source'],
          ['status', 'firing, resolved or info'],
          ['severity', 'critical, error, warning or info'],
          ['match', 'a matcher such as env="prod" or host=~"db-.*"; repeat for more (all must match)'],
          ['q', 'case-insensitive text in title, text or key'],
          ['cursor', 'next_cursor of the previous page'],
          ['limit', '1-500, default 50'],
        ]),
        responses: { '200': { description: 'events (without data), next_cursor, scanned' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/stream': {
      get: {
        summary: 'Server-sent events: every newly committed event matching the same filters as search (scope: read)',
        parameters: listParams([
          ['source', 'exact source'],
          ['status', 'firing, resolved or info'],
          ['severity', 'critical, error, warning or info'],
          ['match', 'a matcher; repeatable'],
          ['q', 'text'],
        ]),
        responses: { '200': { description: 'text/event-stream; `event: events` with a JSON array of events' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/events/{id}/why': {
      get: {
        summary:
          'Why an event went where it went: each route matched, failed (naming the matcher and the value) or was not reached; silences, windows, muted notifications and the incident it joined (scope: read)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'the explanation' }, ...errors(401, 403, 404) },
      },
    },
    '/api/v1/routes': {
      get: {
        summary: 'The configured routes, in order, with matchers as text (scope: read)',
        responses: { '200': { description: 'routes' }, ...errors(401, 403) },
      },
    },
    '/api/v1/routes/test-payload': {
      post: {
        summary:
          "Dry run from a sender's payload: {source, payload, headers?}; the named HTTP source (or prometheus) maps it, then as routes/test (scope: read)",
        requestBody: { required: true, content: json({ type: 'object', required: ['source', 'payload'] }) },
        responses: { '200': { description: 'one dry run per mapped event (at most 20)' }, ...errors(400, 401, 403, 404) },
      },
    },
    '/api/v1/receivers': {
      get: {
        summary: 'Configured receivers with health over their last 100 deliveries: success rate, queued/retrying/dead, last error, rate limit (scope: read)',
        responses: { '200': { description: 'receivers' }, ...errors(401, 403) },
      },
    },
    '/api/v1/receivers/{name}/test': {
      post: {
        summary: 'Send a sample event through one receiver now, as `herald test` does; nothing is stored (scope: admin)',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'ok, duration_ms, reason, error, response' }, ...errors(401, 403, 404) },
      },
    },
    '/api/v1/sources': {
      get: {
        summary: 'Running sources with their state and accepted/rejected counters (scope: read)',
        responses: { '200': { description: 'sources' }, ...errors(401, 403) },
      },
    },
    '/api/v1/oncall': {
      get: {
        summary: 'Each schedule: who is on call now and next, and every shift (overrides marked) over the next `days` (1-90, default 21) (scope: read)',
        parameters: listParams([['days', 'how far ahead, 1-90']]),
        responses: { '200': { description: 'schedules' }, ...errors(400, 401, 403) },
      },
    },
    '/api/v1/silences/preview': {
      post: {
        summary: 'What silence matchers would mute: firing incidents now and events of the last 24 hours (scope: read)',
        requestBody: {
          required: true,
          content: json({ type: 'object', required: ['matchers'], properties: { matchers: { type: 'array', items: { type: 'string' } } } }),
        },
        responses: { '200': { description: 'incidents and events' }, ...errors(400, 401, 403) },
      },
    },
    '/healthz': { get: { summary: 'Process is up (public)', security: [], responses: { '200': { description: 'ok' } } } },
    '/readyz': {
      get: { summary: 'Store reachable (public)', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } },
    },
    '/metrics': { get: { summary: 'Prometheus metrics (scope: read)', responses: { '200': { description: 'text exposition format' } } } },
  },
} as const;
