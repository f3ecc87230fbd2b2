import { type Clock, type Logger, type Static, Type } from '@herald/sdk';
import type { FastifyPluginAsync } from 'fastify';
import { matchesEmpty } from '../../config/silences.js';
import { type Matcher, parseMatcher } from '../../core/matcher.js';
import type { Silence } from '../../core/silence.js';
import { newId } from '../../lib/ids.js';
import { DURATION_PATTERN, parseDuration } from '../../lib/units.js';
import { compileValidator, type ValidationIssue } from '../../lib/validate.js';
import type { Store, StoredSilence } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { parseListQuery } from './query.js';

export interface SilenceRouteDeps {
  store: () => Store;
  clock: Clock;
  log: Logger;
  /** The config file's silences (listed read-only; not expired through the API). */
  configSilences: () => readonly Silence[];
}

export const NewSilenceSchema = Type.Object(
  {
    matchers: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
      minItems: 1,
      maxItems: 64,
      description: 'all must match, e.g. alertname="InstanceDown" or host=~"db-.*"',
    }),
    starts_at: Type.Optional(Type.String({ format: 'rfc3339', description: 'default: now' })),
    ends_at: Type.Optional(Type.String({ format: 'rfc3339', description: 'exclusive; give this or duration' })),
    duration: Type.Optional(Type.String({ pattern: DURATION_PATTERN, description: 'from starts_at, e.g. 2h; give this or ends_at' })),
    author: Type.String({ minLength: 1, maxLength: 256 }),
    comment: Type.String({ minLength: 1, maxLength: 4096 }),
  },
  { additionalProperties: false },
);
type NewSilenceBody = Static<typeof NewSilenceSchema>;
const validator = compileValidator<NewSilenceBody>(NewSilenceSchema);

/** `labels.host` → `host="…"`: the text a matcher is written as. */
export function formatMatcher(m: Matcher): string {
  return `${m.name.startsWith('labels.') ? m.name.slice(7) : m.name}${m.op}${JSON.stringify(m.value)}`;
}

function state(s: { starts_at: number; ends_at: number }, now: number): 'active' | 'pending' | 'expired' {
  if (now >= s.ends_at) return 'expired';
  return now < s.starts_at ? 'pending' : 'active';
}

const iso = (ms: number) => new Date(ms).toISOString();

function storedView(s: StoredSilence, now: number) {
  const { starts_at, ends_at, created_at, expired_at, ...rest } = s;
  return {
    ...rest,
    starts_at: iso(starts_at),
    ends_at: iso(ends_at),
    state: state(s, now),
    origin: 'api' as const,
    created_at: iso(created_at),
    expired_at: expired_at === null ? null : iso(expired_at),
  };
}

function configView(s: Silence, now: number) {
  return {
    id: s.id,
    matchers: s.matchers.map(formatMatcher),
    author: s.author,
    comment: s.comment,
    starts_at: iso(s.starts_at),
    ends_at: iso(s.ends_at),
    state: state(s, now),
    origin: 'config' as const,
    created_at: null,
    expired_at: null,
  };
}

function invalid(issues: ValidationIssue[]): ApiError {
  return new ApiError(400, 'invalid_silence', issues.map((i) => `${i.path || '(silence)'}: ${i.message}`).join('; '), issues);
}

/** Checks the body beyond its shape: matchers, times. Throws a 400 naming every problem. */
function readNewSilence(body: unknown, now: number): { matchers: string[]; starts_at: number; ends_at: number; author: string; comment: string } {
  if (!validator.check(body)) throw invalid(validator.issues(body));
  const issues: ValidationIssue[] = [];
  const parsed: Matcher[] = [];
  body.matchers.forEach((text, i) => {
    try {
      parsed.push(parseMatcher(text));
    } catch (err) {
      issues.push({ path: `matchers[${i}]`, message: `${(err as Error).message} (got ${JSON.stringify(text)})` });
    }
  });
  if (issues.length === 0 && parsed.every(matchesEmpty)) {
    issues.push({ path: 'matchers', message: 'at least one matcher must not match the empty string (it would also match events without that label)' });
  }
  const starts_at = body.starts_at === undefined ? now : Date.parse(body.starts_at);
  let ends_at = Number.NaN;
  if ((body.ends_at === undefined) === (body.duration === undefined)) issues.push({ path: '(silence)', message: 'give exactly one of ends_at and duration' });
  else if (body.ends_at !== undefined) ends_at = Date.parse(body.ends_at);
  else {
    const ms = parseDuration(body.duration as string);
    if (ms <= 0) issues.push({ path: 'duration', message: 'must be longer than 0s' });
    else ends_at = starts_at + ms;
  }
  const endPath = body.ends_at !== undefined ? 'ends_at' : 'duration';
  if (ends_at <= starts_at) issues.push({ path: 'ends_at', message: 'must be after starts_at' });
  else if (ends_at <= now) issues.push({ path: endPath, message: `the silence would already have ended (now is ${iso(now)})` });
  if (issues.length > 0) throw invalid(issues);
  return { matchers: body.matchers, starts_at, ends_at, author: body.author, comment: body.comment };
}

/** Silences: created and expired through the API (stored), plus the config file's (listed, read-only). */
export const silenceRoutes: FastifyPluginAsync<SilenceRouteDeps> = async (app, deps) => {
  app.post('/api/v1/silences', { config: { scope: 'admin' } }, async (req, reply) => {
    const now = deps.clock.now();
    const input = readNewSilence(req.body, now);
    const silence = { id: newId(now), ...input, created_at: now };
    await deps.store().createSilence(silence);
    deps.log.info({ silence: silence.id, matchers: silence.matchers, until: iso(silence.ends_at), author: silence.author }, 'silence created');
    return reply.code(201).send(storedView({ ...silence, expired_at: null }, now));
  });

  app.get('/api/v1/silences', { config: { scope: 'read' } }, async (req) => {
    const q = parseListQuery(req.query, ['all']);
    const all = q.oneOf('all', ['true', 'false'] as const) === 'true';
    const now = deps.clock.now();
    const fromConfig = deps
      .configSilences()
      .filter((s) => all || s.ends_at > now)
      .map((s) => configView(s, now));
    const stored = await deps.store().listSilences(all ? {} : { ending_after: now });
    return { silences: [...fromConfig, ...stored.map((s) => storedView(s, now))] };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/silences/:id', { config: { scope: 'admin' } }, async (req, reply) => {
    const { id } = req.params;
    if (deps.configSilences().some((s) => s.id === id)) {
      throw new ApiError(409, 'config_silence', `silence ${id} comes from the config file; remove it there and reload`);
    }
    const result = await deps.store().expireSilence(id, deps.clock.now());
    if (result === 'not_found') throw new ApiError(404, 'not_found', `no silence ${id}`);
    if (result === 'ended') throw new ApiError(409, 'already_expired', `silence ${id} has already ended`);
    deps.log.info({ silence: id, by: req.principal.name }, 'silence expired');
    return reply.code(200).send({ expired: true, id });
  });
};
