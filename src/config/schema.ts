import { Type } from '@herald/sdk';
import { BYTES_PATTERN, DURATION_PATTERN } from '../lib/units.js';

const Duration = (description: string) => Type.String({ pattern: DURATION_PATTERN, description });
const Bytes = (description: string) => Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: BYTES_PATTERN })], { description });

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ServerSchema = Type.Object(
  {
    listen: Type.Optional(Type.String({ pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.\\-]+):\\d{1,5}$', description: 'host:port' })),
    body_limit: Type.Optional(Bytes('largest accepted request body')),
  },
  { additionalProperties: false },
);

export const AuthSchema = Type.Object(
  {
    tokens: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 64 }),
            token: Type.String({ minLength: 16, secret: true, description: 'at least 16 characters' }),
            scopes: Type.Array(Type.Enum([...SCOPES]), { minItems: 1 }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

export const StorageSchema = Type.Object(
  {
    url: Type.Optional(Type.String({ pattern: '^(sqlite:|postgres(ql)?://)', description: 'sqlite:./herald.db or postgres://…' })),
    synchronous: Type.Optional(Type.Enum(['FULL', 'NORMAL'])),
  },
  { additionalProperties: false },
);

/** Fields every receiver entry has; the rest belong to the receiver type. */
export const ReceiverCommonSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . -' }),
  type: Type.String({ minLength: 1 }),
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
});
export const RECEIVER_COMMON_KEYS = ['name', 'type', 'concurrency'];

/** Fields every source entry has; the rest belong to the source type. */
export const EnrichStepSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'the result goes to data.enriched.<name>' }),
    url: Type.String({ minLength: 1, description: 'LiquidJS over `event`, e.g. "{{ event.data.resource_uri }}"; empty skips the step' }),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { secret: true, description: 'e.g. Authorization; masked in logs' })),
    timeout: Type.Optional(Duration('per request (default 2s)')),
    cache_ttl: Type.Optional(Duration('how long a fetched resource is reused (default 60s; 0s disables)')),
  },
  { additionalProperties: false },
);

export const SourceCommonSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . - (HTTP sources answer at /hooks/<name>)' }),
  type: Type.String({ minLength: 1 }),
  enrich: Type.Optional(Type.Array(EnrichStepSchema, { maxItems: 10, description: 'HTTP lookups run on each event before it is stored and routed' })),
});
export const SOURCE_COMMON_KEYS = ['name', 'type', 'enrich'];

export const PolicySchema = Type.Object(
  {
    group_by: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'label names whose values form a group (default: each incident alone)' })),
    group_wait: Type.Optional(Duration('how long a new group waits for more incidents before its first notification (default 0s)')),
    group_interval: Type.Optional(Duration('how long a group waits after a notification before sending news of it (default 1m)')),
    repeat_interval: Type.Optional(Duration('how often a still-firing, unacknowledged incident is notified again (default 10m)')),
    send_resolved: Type.Optional(Type.Boolean({ description: 'notify when an incident resolves (default true)' })),
    auto_resolve: Type.Optional(Duration('resolve a firing incident with no new event for this long')),
    max_notifications: Type.Optional(
      Type.Object(
        { count: Type.Integer({ minimum: 1, maximum: 10_000 }), per: Duration('the window, e.g. 1m') },
        { additionalProperties: false, description: 'flood guard: beyond count per window, one digest per window' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RouteSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'names the route in incidents (default routes[<index>])' })),
    policy: Type.Optional(PolicySchema),
    match: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    receivers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    continue: Type.Optional(Type.Boolean()),
    users: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'people to notify (names from users:)' })),
    teams: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'every member of these teams' })),
    on_call: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], {
        description: 'whoever is on duty on these schedules',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DeliverySchema = Type.Object(
  {
    retry_schedule: Type.Optional(Type.Array(Type.String({ pattern: DURATION_PATTERN }), { maxItems: 50 })),
    timeout: Type.Optional(Duration('per-attempt timeout')),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: 'default in-flight cap per receiver' })),
    max_retry_after: Type.Optional(Duration('longest Retry-After honoured')),
    shutdown_timeout: Type.Optional(Duration('how long SIGTERM waits for in-flight attempts')),
    poll_interval: Type.Optional(Duration('how often the queue looks for due retries')),
  },
  { additionalProperties: false },
);

export const OutboundSchema = Type.Object(
  { allow: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'CIDRs exempt from the SSRF guard' })) },
  { additionalProperties: false },
);

export const LogSchema = Type.Object(
  {
    level: Type.Optional(Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])),
    format: Type.Optional(Type.Enum(['auto', 'json', 'pretty'])),
  },
  { additionalProperties: false },
);

export const ConfigFileSchema = Type.Object(
  {
    server: Type.Optional(ServerSchema),
    auth: Type.Optional(AuthSchema),
    storage: Type.Optional(StorageSchema),
    receivers: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    sources: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    // Validated in detail by buildPeople (src/config/people.ts).
    users: Type.Optional(Type.Unknown()),
    teams: Type.Optional(Type.Unknown()),
    schedules: Type.Optional(Type.Unknown()),
    routes: Type.Optional(Type.Array(RouteSchema)),
    // Validated in detail by buildSilenceConfig (src/config/silences.ts).
    silences: Type.Optional(Type.Unknown()),
    maintenance: Type.Optional(Type.Unknown()),
    inhibit_rules: Type.Optional(Type.Unknown()),
    delivery: Type.Optional(DeliverySchema),
    outbound: Type.Optional(OutboundSchema),
    log: Type.Optional(LogSchema),
    plugins: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'plugin packages or paths (relative to this file) to load' })),
  },
  { additionalProperties: false },
);
