import { Type } from '@herald/sdk';
import { BYTES_PATTERN, DURATION_PATTERN } from '../lib/units.js';

// The defaults of the config file live here and nowhere else: load.ts fills them in with
// withDefaults() before it validates, and the docs tables and `herald config schema` read them.
// A key with a default is therefore not Type.Optional (it is always there once filled); the
// emitted JSON Schema drops such keys from `required`, since a file may leave them out.
const Duration = (description: string, defaultValue?: string) =>
  Type.String({ pattern: DURATION_PATTERN, description, ...(defaultValue === undefined ? {} : { default: defaultValue }) });
const Bytes = (description: string, defaultValue?: string) =>
  Type.Union([Type.Integer({ minimum: 1 }), Type.String({ pattern: BYTES_PATTERN })], {
    description,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  });

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const ServerSchema = Type.Object(
  {
    listen: Type.String({
      pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.\\-]+):\\d{1,5}$',
      default: '127.0.0.1:9470',
      description: '`host:port` of the API; anything but loopback requires `auth.tokens` (Herald refuses to start otherwise)',
    }),
    body_limit: Bytes('largest accepted request body (`1048576`, `512KiB`, `2MiB`); larger → 413', '1MiB'),
  },
  { additionalProperties: false, default: {}, description: 'the HTTP API, web console and HTTP sources' },
);

export const AuthSchema = Type.Object(
  {
    tokens: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 64 }),
          token: Type.String({ minLength: 16, secret: true, description: 'at least 16 characters; sent as `Authorization: Bearer <token>`' }),
          scopes: Type.Array(Type.Enum([...SCOPES]), { minItems: 1, description: '`ingest`, `read` and/or `admin`' }),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'API and console tokens; with none every endpoint is open (allowed only on loopback)' },
    ),
  },
  { additionalProperties: false, default: {}, description: 'bearer tokens for the API and console' },
);

export const StorageSchema = Type.Object(
  {
    url: Type.String({
      pattern: '^(sqlite:|postgres(ql)?://)',
      default: 'sqlite:./herald.db',
      description:
        '`sqlite:<path>` (relative to the working directory) or `sqlite:///abs/path.db`; `postgres://…` is accepted by the schema, but the PostgreSQL store is not in this version yet, and Herald says so at start',
    }),
    synchronous: Type.Enum(['FULL', 'NORMAL'], {
      default: 'FULL',
      description:
        'SQLite durability: `FULL` fsyncs every commit, so an answered event survives power loss; `NORMAL` is faster and may lose the last commits on power loss (never corrupts)',
    }),
  },
  { additionalProperties: false, default: {}, description: 'the durable store of events, deliveries and incidents' },
);

/** Fields every receiver entry has; the rest belong to the receiver type. */
export const ReceiverCommonSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . -' }),
  type: Type.String({ minLength: 1 }),
  // No schema default: an absent concurrency is delivery.concurrency (whose default is in DeliverySchema), read in load.ts.
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: 'in-flight cap for this receiver (default: `delivery.concurrency`)' })),
});
export const RECEIVER_COMMON_KEYS = ['name', 'type', 'concurrency'];

/** One `enrich:` step of a source. */
export const EnrichStepSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$', description: 'the result goes to data.enriched.<name>' }),
    url: Type.String({ minLength: 1, description: 'LiquidJS over `event`, e.g. "{{ event.data.resource_uri }}"; empty skips the step' }),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { secret: true, description: 'e.g. Authorization; masked in logs' })),
    timeout: Duration('per request', '2s'),
    cache_ttl: Duration('how long a fetched resource is reused (0s disables)', '60s'),
  },
  { additionalProperties: false },
);

/** Fields every source entry has; the rest belong to the source type. */
export const SourceCommonSchema = Type.Object({
  name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'letters, digits, _ . - (HTTP sources answer at /hooks/<name>)' }),
  type: Type.String({ minLength: 1 }),
  enrich: Type.Array(EnrichStepSchema, { maxItems: 10, default: [], description: 'HTTP lookups run on each event before it is stored and routed' }),
});
export const SOURCE_COMMON_KEYS = ['name', 'type', 'enrich'];

export const PolicySchema = Type.Object(
  {
    group_by: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'label names whose values form a group (default: each incident alone)' })),
    group_wait: Duration('how long a new group waits for more incidents before its first notification', '0s'),
    group_interval: Duration('how long a group waits after a notification before sending news of it', '1m'),
    repeat_interval: Duration('how often a still-firing, unacknowledged incident is notified again (at least 1s)', '10m'),
    send_resolved: Type.Boolean({ default: true, description: 'notify when an incident resolves' }),
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
    match: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'matchers, all of which must hold; absent or empty matches every event' })),
    receivers: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'receiver names to deliver to' }),
    continue: Type.Boolean({ default: false, description: '`false`: the first matching route wins; `true`: keep looking at later routes too' }),
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
    retry_schedule: Type.Array(Type.String({ pattern: DURATION_PATTERN }), {
      maxItems: 50,
      default: ['5s', '30s', '2m', '5m', '15m', '30m', '1h', '2h', '4h', '8h', '12h', '24h'],
      description: 'delay before each retry (±20 % jitter); its length + 1 is the attempt limit',
    }),
    timeout: Duration('per attempt', '15s'),
    concurrency: Type.Integer({ minimum: 1, maximum: 1024, default: 32, description: 'default in-flight cap per receiver' }),
    max_retry_after: Duration("a target's `Retry-After` is honoured up to this", '1h'),
    shutdown_timeout: Duration('how long SIGTERM waits for in-flight attempts', '10s'),
    poll_interval: Duration('how often the queue looks for due retries (new events are picked up at once)', '250ms'),
  },
  { additionalProperties: false, default: {}, description: 'retries, timeouts and concurrency of deliveries' },
);

export const OutboundSchema = Type.Object(
  { allow: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'CIDRs exempt from the SSRF guard' }) },
  { additionalProperties: false, default: {}, description: 'the SSRF guard of outbound connections' },
);

export const LogSchema = Type.Object(
  {
    level: Type.Enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { default: 'info', description: '`trace` … `fatal`, or `silent`' }),
    format: Type.Enum(['auto', 'json', 'pretty'], { default: 'auto', description: '`json`, `pretty`, or `auto` (pretty on a terminal, JSON otherwise)' }),
  },
  { additionalProperties: false, default: {}, description: 'log level and format' },
);

export const ConfigFileSchema = Type.Object(
  {
    server: ServerSchema,
    auth: AuthSchema,
    storage: StorageSchema,
    receivers: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    sources: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    // Validated in detail by buildPeople (src/config/people.ts).
    users: Type.Optional(Type.Unknown()),
    teams: Type.Optional(Type.Unknown()),
    schedules: Type.Optional(Type.Unknown()),
    routes: Type.Optional(Type.Array(RouteSchema, { description: 'an ordered list of rules deciding which receivers get an event' })),
    // Validated in detail by buildSilenceConfig (src/config/silences.ts).
    silences: Type.Optional(Type.Unknown()),
    maintenance: Type.Optional(Type.Unknown()),
    inhibit_rules: Type.Optional(Type.Unknown()),
    delivery: DeliverySchema,
    outbound: OutboundSchema,
    log: LogSchema,
    plugins: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'plugin packages or paths (relative to this file) to load' }),
  },
  { additionalProperties: false },
);
