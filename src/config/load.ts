import { isSecretSchema, type ReceiverDefinition, type SourceDefinition, type Static, type TSchema } from '@herald/sdk';
import { parseDocument } from 'yaml';
import type { Policy } from '../core/incidents.js';
import { type Matcher, parseMatcher } from '../core/matcher.js';
import type { Schedule, Team, User } from '../core/oncall.js';
import { validateSelector } from '../core/oncall.js';
import type { Route } from '../core/routing.js';
import type { InhibitRule, MaintenanceWindow, Silence } from '../core/silence.js';
import type { ConfigErrorCode } from '../errors/catalogue.js';
import { parseBytes, parseDuration } from '../lib/units.js';
import { compileValidator, type ValidationIssue } from '../lib/validate.js';
import { parseAllowList } from '../outbound/ip-policy.js';
import type { EnrichStepConfig } from '../pipeline/enrich.js';
import type { Registered, Registry } from '../registry/registry.js';
import { withDefaults } from './defaults.js';
import { interpolate } from './interpolate.js';
import { buildPeople, contactRules } from './people.js';
import {
  ConfigFileSchema,
  type EnrichStepSchema,
  RECEIVER_COMMON_KEYS,
  ReceiverCommonSchema,
  type Scope,
  SOURCE_COMMON_KEYS,
  SourceCommonSchema,
} from './schema.js';
import { buildSilenceConfig } from './silences.js';

export interface ReceiverConfig {
  name: string;
  type: string;
  concurrency: number;
  /** The type-specific fields, validated, with schema defaults applied. */
  config: Record<string, unknown>;
  definition: ReceiverDefinition;
}

export interface SourceConfig {
  name: string;
  type: string;
  enrich: EnrichStepConfig[];
  /** The type-specific fields, validated, with schema defaults applied. */
  config: Record<string, unknown>;
  definition: SourceDefinition;
}

export interface HeraldConfig {
  /** Where it was loaded from, for reload. */
  file?: string;
  server: { listen: string; host: string; port: number; bodyLimit: number };
  auth: { tokens: { name: string; token: string; scopes: Scope[] }[] };
  storage: { url: string; synchronous: 'FULL' | 'NORMAL' };
  receivers: ReceiverConfig[];
  sources: SourceConfig[];
  routes: Route[];
  delivery: {
    retryScheduleMs: number[];
    timeoutMs: number;
    concurrency: number;
    maxRetryAfterMs: number;
    shutdownTimeoutMs: number;
    pollIntervalMs: number;
  };
  outbound: { allow: string[] };
  log: { level: string; format: 'auto' | 'json' | 'pretty' };
  /** Plugin packages or paths, as written. */
  plugins: string[];
  /** users:, teams:, schedules: */
  people: { directory: Map<string, User>; teams: Map<string, Team>; schedules: Map<string, Schedule> };
  /** silences:, maintenance:, inhibit_rules: what mutes incident notifications (API silences live in the store). */
  alerting: { silences: Silence[]; windows: MaintenanceWindow[]; rules: InhibitRule[] };
  /** Every secret value in the config, for redaction. */
  secrets: string[];
  /** Valid but probably not meant (nothing routed, a receiver in no route); check-config prints them. */
  warnings: string[];
}

/**
 * A refused config file. The message starts with its catalogue code, the way
 * PluginError's does (`HERALD_ERR_CONFIG_INVALID: herald.yaml: invalid configuration: …`).
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;

  constructor(
    readonly issues: ValidationIssue[],
    readonly file?: string,
    code?: ConfigErrorCode,
  ) {
    const c = code ?? ConfigError.classify(issues);
    super(`${c}: ${file ? `${file}: ` : ''}invalid configuration:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.code = c;
    this.name = 'ConfigError';
  }

  /**
   * The code when the thrower gives none, from the paths every thrower uses:
   * `(file)` for a file it cannot read, `(yaml)` or a YAML position for a
   * parse error, and interpolate()'s unset-variable issues. Deriving it keeps
   * the many `new ConfigError(issues, file)` call sites as they are.
   */
  static classify(issues: readonly ValidationIssue[]): ConfigErrorCode {
    if (issues.length > 0 && issues.every((i) => i.path === '(file)')) return 'HERALD_ERR_CONFIG_FILE_UNREADABLE';
    if (issues.some((i) => i.path === '(yaml)' || /^line \d+, column \d+$/.test(i.path))) return 'HERALD_ERR_CONFIG_YAML';
    if (issues.length > 0 && issues.every((i) => /^environment variable \S+ is not set/.test(i.message))) return 'HERALD_ERR_CONFIG_ENV';
    return 'HERALD_ERR_CONFIG_INVALID';
  }
}

const fileValidator = compileValidator<Static<typeof ConfigFileSchema>>(ConfigFileSchema);
const commonValidator = compileValidator<Static<typeof ReceiverCommonSchema>>(ReceiverCommonSchema);
const sourceCommonValidator = compileValidator<Static<typeof SourceCommonSchema>>(SourceCommonSchema);
const receiverValidators = new WeakMap<TSchema, ReturnType<typeof compileValidator>>();

function validatorFor(schema: TSchema) {
  let v = receiverValidators.get(schema);
  if (!v) {
    v = compileValidator(schema);
    receiverValidators.set(schema, v);
  }
  return v;
}

export function parseConfig(text: string, registry: Registry, env: NodeJS.ProcessEnv = process.env, file?: string): HeraldConfig {
  return buildConfig(readRawConfig(text, env, file), registry, file);
}

/** YAML → plain data with ${VAR} expanded; not yet validated. */
export function readRawConfig(text: string, env: NodeJS.ProcessEnv = process.env, file?: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
        message: e.message.split('\n')[0] ?? e.message,
      })),
      file,
    );
  }
  const interpolationIssues = interpolate(doc, env);
  if (interpolationIssues.length > 0) throw new ConfigError(interpolationIssues, file);
  return (doc.toJS() ?? {}) as unknown;
}

/** The `plugins:` list, read before the rest so plugin receiver types can be validated. */
export function pluginSpecs(raw: unknown, file?: string): string[] {
  // `plugins:` with nothing under it is null in YAML: absent, so the schema's default (no plugins).
  const given = (raw as { plugins?: unknown } | null)?.plugins ?? undefined;
  const list = withDefaults<unknown>(ConfigFileSchema.properties.plugins, given);
  if (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === '')) {
    throw new ConfigError([{ path: 'plugins', message: 'must be a list of package names or paths' }], file);
  }
  return list as string[];
}

export function buildConfig(given: unknown, registry: Registry, file?: string): HeraldConfig {
  // Every default comes from the schemas (src/config/schema.ts and each type's definition): they
  // are filled in here, before validation, and everything below reads the filled-in values.
  const raw = isObject(given) ? withDefaults<unknown>(ConfigFileSchema, given) : given;
  const delivery = (raw as { delivery?: { concurrency?: unknown } } | null)?.delivery;
  // A receiver without its own concurrency gets delivery.concurrency (schema default 32). An
  // invalid value fails the schema below; this placeholder only keeps the receiver checks going.
  const defaultConcurrency = typeof delivery?.concurrency === 'number' ? delivery.concurrency : Number.NaN;
  const rawReceivers = (raw as { receivers?: unknown } | null)?.receivers;
  // Receivers are checked even when the rest of the file is not, so one run reports everything.
  const built = Array.isArray(rawReceivers) ? buildReceivers(rawReceivers, registry, defaultConcurrency) : { receivers: [], issues: [], secrets: [] };
  const rawSources = (raw as { sources?: unknown } | null)?.sources;
  const builtSources = Array.isArray(rawSources) ? buildSources(rawSources, registry) : { sources: [], issues: [], secrets: [] };
  const people = buildPeople((raw ?? {}) as { users?: unknown; teams?: unknown; schedules?: unknown }, contactRules(registry.all().map((r) => r.definition)));
  const alerting = buildSilenceConfig((raw ?? {}) as { silences?: unknown; maintenance?: unknown; inhibit_rules?: unknown });
  // Schema problems and reference problems (unknown receivers, people, schedules, bad matchers)
  // are reported together: the checks below read the raw data defensively, so they also run
  // when the file does not fit the schema, and one run of check-config lists everything.
  const schemaOk = fileValidator.check(raw);
  const fileIssues = schemaOk ? [] : fileValidator.issues(raw);
  const issues: ValidationIssue[] = [
    ...fileIssues.filter((i) => !/^(receivers|sources)\[\d+\]/.test(i.path)),
    ...built.issues,
    ...builtSources.issues,
    ...people.issues,
    ...alerting.issues,
  ];
  const loose = (isObject(raw) ? raw : {}) as Static<typeof ConfigFileSchema>;
  const secrets: string[] = [...built.secrets, ...builtSources.secrets];
  const receivers = built.receivers;
  const sources = builtSources.sources;

  const rawListen = loose.server?.listen;
  // Not a string fails the schema; the empty string only keeps the checks below going.
  const listen = typeof rawListen === 'string' ? rawListen : '';
  const sep = listen.lastIndexOf(':');
  const host = listen.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(sep + 1));
  if (port > 65535) issues.push({ path: 'server.listen', message: 'port must be at most 65535' });

  const tokens = asArray(loose.auth?.tokens).filter(isObject) as NonNullable<NonNullable<typeof loose.auth>['tokens']>;
  const tokenNames = new Set<string>();
  tokens.forEach((t, i) => {
    if (tokenNames.has(t.name)) issues.push({ path: `auth.tokens[${i}].name`, message: `duplicate token name "${t.name}"` });
    tokenNames.add(t.name);
    if (typeof t.token === 'string') secrets.push(t.token);
  });

  const names = new Set(receivers.map((r) => r.name));
  const rawRoutes = asArray(loose.routes) as NonNullable<typeof loose.routes>;
  const routes: Route[] = [];
  rawRoutes.forEach((r, i) => {
    // Not an object: the schema issue says so.
    if (!isObject(r)) return;
    const match: Matcher[] = [];
    asArray(r.match).forEach((m, j) => {
      if (typeof m !== 'string') return;
      try {
        match.push(parseMatcher(m));
      } catch (err) {
        issues.push({ path: `routes[${i}].match[${j}]`, message: (err as Error).message });
      }
    });
    asArray(r.receivers).forEach((name, j) => {
      if (typeof name !== 'string') return;
      if (!names.has(name) && !asArray(loose.receivers).some((e) => (e as { name?: unknown } | null)?.name === name)) {
        const known = [...names];
        issues.push({
          path: `routes[${i}].receivers[${j}]`,
          message: `no receiver named "${name}"${known.length > 0 ? ` (configured: ${known.join(', ')})` : ' (no receivers are configured)'}`,
        });
      }
    });
    const id = typeof r.name === 'string' ? r.name : `routes[${i}]`;
    if (typeof r.name === 'string' && rawRoutes.some((o, j) => j < i && (o as { name?: unknown } | null)?.name === r.name))
      issues.push({ path: `routes[${i}].name`, message: `duplicate route name "${r.name}"` });
    let policy: Policy | undefined;
    try {
      const p = r.policy;
      // Absent stays absent (a route without a policy forwards every event); a given policy has its defaults filled.
      policy = p
        ? {
            groupBy: p.group_by,
            groupWaitMs: parseDuration(p.group_wait),
            groupIntervalMs: parseDuration(p.group_interval),
            repeatIntervalMs: parseDuration(p.repeat_interval),
            sendResolved: p.send_resolved,
            autoResolveMs: p.auto_resolve === undefined ? undefined : parseDuration(p.auto_resolve),
            maxNotifications: p.max_notifications ? { count: p.max_notifications.count, perMs: parseDuration(p.max_notifications.per) } : undefined,
          }
        : undefined;
    } catch (err) {
      // A malformed duration fails the schema, which reports it with its path.
      if (schemaOk) throw err;
    }
    if (policy && policy.repeatIntervalMs < 1000) issues.push({ path: `routes[${i}].policy.repeat_interval`, message: 'must be at least 1s' });
    const selector = { users: r.users, teams: r.teams, on_call: r.on_call };
    const hasPeople = Boolean(r.users?.length || r.teams?.length || r.on_call);
    if (hasPeople && people.issues.length === 0) {
      try {
        issues.push(...validateSelector(selector, `routes[${i}]`, people.directory, people.teams, people.schedules));
      } catch (err) {
        // A selector of the wrong shape fails the schema, which reports it.
        if (schemaOk) throw err;
      }
    }
    routes.push({
      id,
      match,
      receivers: r.receivers,
      continue: r.continue,
      ...(hasPeople ? { people: selector } : {}),
      ...(policy ? { policy } : {}),
    });
  });

  const allow = asArray(loose.outbound?.allow) as string[];
  allow.forEach((cidr, i) => {
    if (typeof cidr !== 'string') return;
    try {
      parseAllowList([cidr]);
    } catch (err) {
      issues.push({ path: `outbound.allow[${i}]`, message: (err as Error).message });
    }
  });
  let bodyLimit = Number.NaN;
  const rawBodyLimit = loose.server?.body_limit;
  if (typeof rawBodyLimit === 'string' || typeof rawBodyLimit === 'number') {
    try {
      bodyLimit = parseBytes(rawBodyLimit);
    } catch (err) {
      issues.push({ path: 'server.body_limit', message: (err as Error).message });
    }
  }

  if (!schemaOk || issues.length > 0) throw new ConfigError(issues.length > 0 ? uniqueIssues(issues) : fileIssues, file);
  const d = raw.delivery;
  const retryScheduleMs = d.retry_schedule.map(parseDuration);
  return {
    server: { listen, host, port, bodyLimit },
    auth: { tokens: tokens.map((t) => ({ name: t.name, token: t.token, scopes: t.scopes as Scope[] })) },
    storage: { url: raw.storage.url, synchronous: raw.storage.synchronous },
    receivers,
    sources,
    routes,
    delivery: {
      retryScheduleMs,
      timeoutMs: parseDuration(d.timeout),
      concurrency: d.concurrency,
      maxRetryAfterMs: parseDuration(d.max_retry_after),
      shutdownTimeoutMs: parseDuration(d.shutdown_timeout),
      pollIntervalMs: parseDuration(d.poll_interval),
    },
    outbound: { allow },
    log: { level: raw.log.level, format: raw.log.format },
    plugins: raw.plugins,
    people: { directory: people.directory, teams: people.teams, schedules: people.schedules },
    alerting: { silences: alerting.silences, windows: alerting.windows, rules: alerting.rules },
    secrets,
    warnings: configWarnings(receivers, routes),
  };
}

/** What is valid but most likely not what the user wants; check-config prints these, serve logs them. */
function configWarnings(receivers: ReceiverConfig[], routes: Route[]): string[] {
  const warnings: string[] = [];
  if (routes.length === 0) {
    warnings.push(
      receivers.length === 0
        ? 'no receivers and no routes: events are accepted and stored, but nothing is delivered (add receivers: and routes:)'
        : 'no routes: events are accepted and stored, but none is delivered to any receiver (add routes:, e.g. [{receivers: [' + `${receivers[0]?.name}]}])`,
    );
  } else {
    const routed = new Set(routes.flatMap((r) => r.receivers));
    for (const r of receivers) if (!routed.has(r.name)) warnings.push(`receiver "${r.name}" is in no route: it receives nothing but \`herald test ${r.name}\``);
  }
  return warnings;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function uniqueIssues(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

interface TypedEntry<D> {
  common: Record<string, unknown> & { name: string; type: string };
  config: Record<string, unknown>;
  definition: D;
}

/**
 * Validates `receivers:` or `sources:` entries: the common keys first, then the
 * type's own schema (defaults applied) and its extra rules, all issues at once.
 */
function buildTyped<D extends ReceiverDefinition | SourceDefinition>(
  entries: unknown[],
  section: 'receivers' | 'sources',
  lookup: { get(type: string): Registered<D> | undefined; types(): string[] },
  common: { keys: string[]; schema: TSchema; validator: ReturnType<typeof compileValidator> },
) {
  const kind = section === 'receivers' ? 'receiver' : 'source';
  const issues: ValidationIssue[] = [];
  const secrets: string[] = [];
  const built: TypedEntry<D>[] = [];
  entries.forEach((entry, i) => {
    const base = `${section}[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      issues.push({ path: base, message: 'must be an object with name and type' });
      return;
    }
    const commonPart = withDefaults<TypedEntry<D>['common']>(common.schema, Object.fromEntries(Object.entries(entry).filter(([k]) => common.keys.includes(k))));
    if (!common.validator.check(commonPart)) {
      issues.push(...common.validator.issues(commonPart, base));
      return;
    }
    if (built.some((r) => r.common.name === commonPart.name)) {
      issues.push({ path: `${base}.name`, message: `duplicate ${kind} name "${commonPart.name}"` });
    }
    const registered = lookup.get(commonPart.type);
    if (!registered) {
      issues.push({ path: `${base}.type`, message: `unknown ${kind} type "${commonPart.type}" (known: ${lookup.types().join(', ')})` });
      return;
    }
    const { definition } = registered;
    const own = Object.fromEntries(Object.entries(entry).filter(([k]) => !common.keys.includes(k)));
    const filled = withDefaults<Record<string, unknown>>(definition.config, own);
    const v = validatorFor(definition.config);
    if (!v.check(filled)) {
      issues.push(...v.issues(filled, base));
      return;
    }
    const invalid = definition.validate?.(filled as never) ?? [];
    if (invalid.length > 0) {
      issues.push(...invalid.map((i) => ({ path: `${base}.${i.path}`, message: i.message })));
      return;
    }
    secrets.push(...collectSecrets(definition.config, filled));
    built.push({ common: commonPart, config: filled, definition });
  });
  return { built, issues, secrets };
}

function buildReceivers(entries: unknown[], registry: Registry, defaultConcurrency: number) {
  const { built, issues, secrets } = buildTyped(entries, 'receivers', registry, {
    keys: RECEIVER_COMMON_KEYS,
    schema: ReceiverCommonSchema,
    validator: commonValidator,
  });
  const receivers: ReceiverConfig[] = built.map((b) => ({
    name: b.common.name,
    type: b.common.type,
    concurrency: (b.common.concurrency as number | undefined) ?? defaultConcurrency,
    config: b.config,
    definition: b.definition,
  }));
  return { receivers, issues, secrets };
}

function buildSources(entries: unknown[], registry: Registry) {
  const { built, issues, secrets } = buildTyped(entries, 'sources', registry.sources, {
    keys: SOURCE_COMMON_KEYS,
    schema: SourceCommonSchema,
    validator: sourceCommonValidator,
  });
  const sources: SourceConfig[] = built.map((b) => {
    const steps = b.common.enrich as Static<typeof EnrichStepSchema>[];
    for (const step of steps) secrets.push(...Object.values(step.headers ?? {}).filter((v) => v.length >= 4));
    return {
      name: b.common.name,
      type: b.common.type,
      enrich: steps.map((step) => ({
        name: step.name,
        url: step.url,
        headers: step.headers,
        timeoutMs: parseDuration(step.timeout),
        cacheTtlMs: parseDuration(step.cache_ttl),
      })),
      config: b.config,
      definition: b.definition,
    };
  });
  return { sources, issues, secrets };
}

/** Values of fields declared secret, including URLs marked secret. */
export function collectSecrets(schema: TSchema, value: Record<string, unknown>): string[] {
  const props = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  const out: string[] = [];
  for (const [k, p] of Object.entries(props)) {
    const v = value[k];
    if (!isSecretSchema(p)) continue;
    if (typeof v === 'string') out.push(v, ...urlSecretParts(v));
    else if (v && typeof v === 'object') for (const inner of Object.values(v)) if (typeof inner === 'string') out.push(inner);
  }
  return out;
}

/**
 * A secret URL's token usually sits in its path or query (Slack, Teams, most
 * webhooks), and a target may echo just that part back; mask those too.
 */
export function urlSecretParts(value: string): string[] {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return [];
  }
  const parts: string[] = [];
  if (u.username) parts.push(decodeURIComponent(u.username));
  if (u.password) parts.push(decodeURIComponent(u.password));
  // Token-like path segments (long ones) and the path that carries them; short,
  // word-like paths such as /herald stay readable.
  const tokens = u.pathname.split('/').filter((seg) => seg.length >= 12);
  if (tokens.length > 0) parts.push(u.pathname + u.search, ...tokens);
  for (const [, v] of u.searchParams) if (v.length >= 4) parts.push(v);
  return parts;
}

/** A copy of a receiver config with its secret fields masked, for output. */
export function maskReceiverConfig(r: ReceiverConfig): Record<string, unknown> {
  const props = (r.definition.config as { properties?: Record<string, TSchema> }).properties ?? {};
  const out: Record<string, unknown> = { name: r.name, type: r.type, concurrency: r.concurrency };
  for (const [k, v] of Object.entries(r.config)) out[k] = props[k] && isSecretSchema(props[k]) ? '***' : v;
  return out;
}
