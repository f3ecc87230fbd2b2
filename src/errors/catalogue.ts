import { SOURCE_REJECTIONS, type SourceRejectionEntry } from '@herald/sdk';

/**
 * Herald's error catalogue: every refusal a user can meet has one stable code
 * here, `HERALD_ERR_<AREA>_<NAME>`, with what it means and what to do.
 * docs/errors.md is generated from it (`npm run docs:errors`).
 *
 * Rules: a code is never renamed, reused or given another meaning. When a
 * refusal goes away, its code moves to RETIRED_CODES (./retired.ts); the
 * catalogue test fails on a duplicate or a retired code coming back.
 *
 * The SOURCE entries live in the SDK (SOURCE_REJECTIONS) because sources may
 * import only `@herald/sdk`; they are folded in below unchanged. See
 * docs/adr/0010-error-catalogue.md.
 */
export type ErrorArea = 'CONFIG' | 'CLI' | 'API' | 'SOURCE' | 'STORE' | 'PLUGIN';

export const AREAS: readonly { area: ErrorArea; title: string; intro: string }[] = [
  { area: 'CONFIG', title: 'Configuration', intro: 'The config file is refused (`herald serve`, `check-config`, a reload). The message lists every problem.' },
  { area: 'CLI', title: 'CLI', intro: 'Printed by the `herald` command as `herald: <code>: <message>`; usage errors exit 2, failures 1.' },
  {
    area: 'API',
    title: 'HTTP API',
    intro: 'Answered as `{"error": <slug>, "code": <code>, "detail": …}` (see [api.md](api.md#errors)); match on `error` or `code`.',
  },
  {
    area: 'SOURCE',
    title: 'Sources',
    intro:
      'A source refused its input; nothing was stored. HTTP sources answer at `/hooks/<name>` with the status and body of the API; listener sources (SMTP, MQTT, AMQP, NATS, WebSocket) log the code with the refusal and count it by slug in `herald_source_rejected_total`.',
  },
  { area: 'STORE', title: 'Store', intro: 'The database does not answer or refuses writes; nothing was stored.' },
  { area: 'PLUGIN', title: 'Plugins', intro: 'A plugin in `plugins:` cannot be loaded; every message names the package. `serve` and `check-config` exit 2.' },
];

export interface CatalogueEntry {
  readonly code: `HERALD_ERR_${ErrorArea}_${string}`;
  readonly area: ErrorArea;
  readonly meaning: string;
  /** What the user should do about it. */
  readonly action: string;
  /** Set on entries the HTTP API answers: its status(es) and the body's `error` slug. */
  readonly http?: { readonly status: readonly number[]; readonly error: string };
  /** Set on SOURCE entries: the rejection slugs they cover (see SOURCE_REJECTIONS). */
  readonly rejection?: { readonly slugs: readonly string[]; readonly status?: number };
}

const OWN = [
  // CONFIG
  {
    code: 'HERALD_ERR_CONFIG_FILE_UNREADABLE',
    area: 'CONFIG',
    meaning: 'the config file cannot be read (it does not exist, or Herald may not read it)',
    action: 'check the path given with `--config` / `HERALD_CONFIG` (default `herald.yaml`) and its permissions',
  },
  {
    code: 'HERALD_ERR_CONFIG_YAML',
    area: 'CONFIG',
    meaning: 'the config file is not valid YAML (or repeats a key)',
    action: 'fix the YAML at the line and column given',
  },
  {
    code: 'HERALD_ERR_CONFIG_ENV',
    area: 'CONFIG',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${VAR} syntax, shown as text
    meaning: 'a `${VAR}` in the config names an environment variable that is not set',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${VAR} syntax, shown as text
    action: 'set the variable, or give a default with `${VAR:-default}`',
  },
  {
    code: 'HERALD_ERR_CONFIG_INVALID',
    area: 'CONFIG',
    meaning: 'the config breaks its schema or its rules (an unknown key, a bad value, a route naming no configured receiver, …)',
    action: 'fix each listed path; `herald check-config` shows the same list without starting Herald',
  },
  // CLI
  {
    code: 'HERALD_ERR_CLI_USAGE',
    area: 'CLI',
    meaning: 'the command’s arguments, flags or input files are wrong or unreadable (exit 2)',
    action: 'fix the command line; `herald <command> --help` lists what it takes',
  },
  {
    code: 'HERALD_ERR_CLI_UNREACHABLE',
    area: 'CLI',
    meaning: 'the command could not reach Herald’s API (nothing listens there, or no answer within 30 s)',
    action: 'start `herald serve`, or point the command at it with `--server` / `HERALD_URL`',
  },
  {
    code: 'HERALD_ERR_CLI_API_REFUSED',
    area: 'CLI',
    meaning: 'Herald’s API refused the request with an answer that carries no code the CLI knows (another Herald version, or a proxy)',
    action: 'read the status and detail printed; when the answer has a code, the CLI prints that code instead',
  },
  {
    code: 'HERALD_ERR_CLI_FAILED',
    area: 'CLI',
    meaning: 'the command ran but what it tried failed, e.g. a source refused the payload of `herald sources test` (exit 1)',
    action: 'read the message; it names what refused and why',
  },
  // API
  {
    code: 'HERALD_ERR_API_INVALID_JSON',
    area: 'API',
    http: { status: [400], error: 'invalid_json' },
    meaning: 'the body is empty, not valid JSON, or nests deeper than 64 levels',
    action: 'send one JSON value; the detail says where parsing stopped',
  },
  {
    code: 'HERALD_ERR_API_INVALID_EVENT',
    area: 'API',
    http: { status: [400], error: 'invalid_event' },
    meaning: 'an event breaks the event model (unknown field, wrong type, limit exceeded), or a batch is empty',
    action: 'fix the fields listed in `issues` (see events.md)',
  },
  {
    code: 'HERALD_ERR_API_BATCH_TOO_LARGE',
    area: 'API',
    http: { status: [400], error: 'batch_too_large' },
    meaning: 'more than 1,000 events in one request',
    action: 'split the batch',
  },
  {
    code: 'HERALD_ERR_API_INVALID_IDEMPOTENCY_KEY',
    area: 'API',
    http: { status: [400], error: 'invalid_idempotency_key' },
    meaning: '`Idempotency-Key` is not 1–255 printable ASCII characters without spaces',
    action: 'send a key such as a UUID or ULID',
  },
  {
    code: 'HERALD_ERR_API_INVALID_QUERY',
    area: 'API',
    http: { status: [400], error: 'invalid_query' },
    meaning: 'a query parameter is unknown, repeated, empty or out of range',
    action: 'fix the parameter the detail names; the endpoint’s section in api.md lists the known ones',
  },
  {
    code: 'HERALD_ERR_API_INVALID_REQUEST',
    area: 'API',
    http: { status: [400], error: 'invalid_request' },
    meaning: 'a field of a console request (dry run from a payload, sign-in) is missing or of the wrong type',
    action: 'fix the field the detail names',
  },
  {
    code: 'HERALD_ERR_API_INVALID_BODY',
    area: 'API',
    http: { status: [400], error: 'invalid_body' },
    meaning: 'the body of an incident acknowledgement or resolution is not valid',
    action: 'fix the fields listed in `issues`',
  },
  {
    code: 'HERALD_ERR_API_INVALID_SILENCE',
    area: 'API',
    http: { status: [400], error: 'invalid_silence' },
    meaning: 'a silence is not valid (a bad matcher, no end, an end in the past, …)',
    action: 'fix the fields listed in `issues` (see silences.md)',
  },
  {
    code: 'HERALD_ERR_API_INVALID_ALERTS',
    area: 'API',
    http: { status: [400, 415], error: 'invalid_alerts' },
    meaning: '`POST /api/v2/alerts` got something other than a JSON list of Alertmanager alerts (415 without a Content-Type)',
    action: 'send Prometheus’ alert list as JSON with `Content-Type: application/json`',
  },
  {
    code: 'HERALD_ERR_API_INVALID_CONFIG',
    area: 'API',
    http: { status: [400], error: 'invalid_config' },
    meaning: '`POST /api/v1/reload` was refused because the new config is not valid; the running configuration stays',
    action: 'fix the config; the detail carries its `HERALD_ERR_CONFIG_*` code and every problem',
  },
  {
    code: 'HERALD_ERR_API_BAD_REQUEST',
    area: 'API',
    http: { status: [400], error: 'bad_request' },
    meaning: 'the HTTP layer rejected a malformed request (e.g. a `Content-Length` that does not match the body); rarely another 4xx',
    action: 'fix the client’s request',
  },
  {
    code: 'HERALD_ERR_API_UNAUTHORIZED',
    area: 'API',
    http: { status: [401], error: 'unauthorized' },
    meaning: 'the bearer token is missing, malformed or not configured (or the console is not signed in)',
    action: 'send `Authorization: Bearer <token>` with a token from `auth.tokens`',
  },
  {
    code: 'HERALD_ERR_API_FORBIDDEN',
    area: 'API',
    http: { status: [403], error: 'forbidden' },
    meaning: 'the token lacks the scope the endpoint needs',
    action: 'use a token with that scope (or `admin`); the detail names it',
  },
  {
    code: 'HERALD_ERR_API_CSRF',
    area: 'API',
    http: { status: [403], error: 'csrf' },
    meaning: 'a state change came from a foreign origin, or with the console’s session cookie but without its `x-csrf-token`',
    action: 'call the API with a bearer token, or from the console itself',
  },
  {
    code: 'HERALD_ERR_API_NOT_FOUND',
    area: 'API',
    http: { status: [404], error: 'not_found' },
    meaning: 'no such route (or method on it), event, delivery, incident, silence, receiver, check or HTTP source',
    action: 'check the URL and the id or name in it',
  },
  {
    code: 'HERALD_ERR_API_DELIVERY_RUNNING',
    area: 'API',
    http: { status: [409], error: 'delivery_running' },
    meaning: 'a replay of a delivery while one of its attempts is in flight',
    action: 'replay it once the attempt has finished',
  },
  {
    code: 'HERALD_ERR_API_NOT_FIRING',
    area: 'API',
    http: { status: [409], error: 'not_firing' },
    meaning: 'acknowledging or resolving an incident that is not firing (or is already acknowledged)',
    action: 'nothing to do; `GET /api/v1/incidents/<id>` shows its state',
  },
  {
    code: 'HERALD_ERR_API_CONFIG_SILENCE',
    area: 'API',
    http: { status: [409], error: 'config_silence' },
    meaning: 'expiring a silence that comes from the config file',
    action: 'remove it from `silences:` and reload',
  },
  {
    code: 'HERALD_ERR_API_ALREADY_EXPIRED',
    area: 'API',
    http: { status: [409], error: 'already_expired' },
    meaning: 'expiring a silence that has already ended',
    action: 'nothing to do',
  },
  {
    code: 'HERALD_ERR_API_PAYLOAD_TOO_LARGE',
    area: 'API',
    http: { status: [413], error: 'payload_too_large' },
    meaning: 'the body exceeds `server.body_limit` (1 MiB by default)',
    action: 'send less per request, or raise `server.body_limit`',
  },
  {
    code: 'HERALD_ERR_API_UNSUPPORTED_MEDIA_TYPE',
    area: 'API',
    http: { status: [415], error: 'unsupported_media_type' },
    meaning: 'the body’s `Content-Type` is missing or not a JSON type',
    action: 'send `Content-Type: application/json`',
  },
  {
    code: 'HERALD_ERR_API_IDEMPOTENCY_CONFLICT',
    area: 'API',
    http: { status: [422], error: 'idempotency_conflict' },
    meaning: 'an `Idempotency-Key` was reused with a different body within 24 hours; the first request stands',
    action: 'use a new key for a new request',
  },
  {
    code: 'HERALD_ERR_API_INTERNAL',
    area: 'API',
    http: { status: [500], error: 'internal' },
    meaning: 'a bug in Herald; the cause is logged, never returned',
    action: 'look for “unhandled API error” in Herald’s log and report it',
  },
  // STORE
  {
    code: 'HERALD_ERR_STORE_UNAVAILABLE',
    area: 'STORE',
    http: { status: [503], error: 'store_unavailable' },
    meaning: 'an ingest could not be written (database busy, locked, read-only, full or failing); nothing was stored and Herald keeps serving',
    action: 'retry after `Retry-After` (5 s); if it persists, check the database’s disk and Herald’s log',
  },
  {
    code: 'HERALD_ERR_STORE_NOT_READY',
    area: 'STORE',
    http: { status: [503], error: 'not_ready' },
    meaning: '`GET /readyz`: the store does not answer',
    action: 'check the database and Herald’s log; the detail has the store’s error',
  },
  // PLUGIN (the codes PluginError has always had)
  {
    code: 'HERALD_ERR_PLUGIN_NOT_FOUND',
    area: 'PLUGIN',
    meaning: 'the package is not installed where the config is, or the path has no `package.json`',
    action: 'run `npm install <package>` in the config file’s directory, or fix the path',
  },
  {
    code: 'HERALD_ERR_PLUGIN_NO_MANIFEST',
    area: 'PLUGIN',
    meaning: '`package.json` has no `herald` block',
    action: 'add `"herald": {"apiVersion": 1, "receivers": [...]}` (see plugins.md)',
  },
  {
    code: 'HERALD_ERR_PLUGIN_API_VERSION',
    area: 'PLUGIN',
    meaning: '`herald.apiVersion` is not one this Herald supports',
    action: 'install a plugin version built for this Herald, or upgrade Herald',
  },
  {
    code: 'HERALD_ERR_PLUGIN_SDK_RANGE',
    area: 'PLUGIN',
    meaning: 'the `@herald/sdk` peer range does not include this Herald’s SDK; the message names both (`needs @herald/sdk ^2.0.0; this Herald has 0.1.0`)',
    action: 'install a plugin version whose range includes this SDK, or upgrade Herald',
  },
  {
    code: 'HERALD_ERR_PLUGIN_IMPORT',
    area: 'PLUGIN',
    meaning: 'a listed module could not be imported (the cause is included)',
    action: 'fix the module or its build; the cause names the failing import',
  },
  {
    code: 'HERALD_ERR_PLUGIN_INVALID_DEFINITION',
    area: 'PLUGIN',
    meaning: 'an export is not a valid receiver definition (what is wrong is listed)',
    action: 'fix the definition; `defineReceiver` from `@herald/sdk` types it',
  },
  {
    code: 'HERALD_ERR_PLUGIN_DUPLICATE_TYPE',
    area: 'PLUGIN',
    meaning: 'the receiver type is already registered (built-in or another plugin)',
    action: 'remove one of the two plugins, or rename the plugin’s type',
  },
] as const satisfies readonly CatalogueEntry[];

type OwnEntry = (typeof OWN)[number];
type ApiEntry = Extract<OwnEntry, { http: unknown }>;

/** The body's `error` slugs the API answers; ApiError and sendError take only these, so a typo fails typecheck. */
export type ApiSlug = ApiEntry['http']['error'];
export type ErrorCode = OwnEntry['code'] | (typeof SOURCE_REJECTIONS)[number]['code'];
export type ConfigErrorCode = Extract<ErrorCode, `HERALD_ERR_CONFIG_${string}`>;
export type CliErrorCode = Extract<ErrorCode, `HERALD_ERR_CLI_${string}`>;
export type PluginErrorCode = Extract<ErrorCode, `HERALD_ERR_PLUGIN_${string}`>;

function fromSdk(e: SourceRejectionEntry): CatalogueEntry {
  return {
    code: e.code,
    area: 'SOURCE',
    meaning: e.meaning,
    action: e.action,
    rejection: { slugs: e.slugs, ...(e.status === undefined ? {} : { status: e.status }) },
  };
}

/** Every entry, in the order of AREAS then as written. */
export const CATALOGUE: readonly CatalogueEntry[] = AREAS.flatMap(({ area }) =>
  area === 'SOURCE' ? SOURCE_REJECTIONS.map(fromSdk) : (OWN as readonly CatalogueEntry[]).filter((e) => e.area === area),
);

const bySlug = new Map<string, ErrorCode>((OWN as readonly OwnEntry[]).flatMap((e) => ('http' in e ? [[e.http.error, e.code] as const] : [])));
const codes = new Set<string>(CATALOGUE.map((e) => e.code));

/** The code an API answer with this `error` slug carries. */
export function apiErrorCode(slug: ApiSlug): ErrorCode {
  const code = bySlug.get(slug);
  // Unreachable while ApiSlug is derived from OWN; kept so a cast-in slug fails loudly, not with `code: undefined`.
  if (!code) throw new Error(`no catalogue entry answers the API error slug "${slug}"`);
  return code;
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && codes.has(value);
}
