import { EVENT_STATUSES, type EventInput, type HeraldEvent, SEVERITIES, Type } from '@herald/sdk';
import { compileValidator, type ValidationIssue } from '../lib/validate.js';

/** Documented in docs/events.md; change both together. */
export const EVENT_LIMITS = {
  titleLength: 1024,
  textLength: 65_536,
  nameLength: 128,
  keyLength: 512,
  labelCount: 64,
  labelValueLength: 1024,
  urlLength: 2048,
  linkCount: 20,
  dataBytes: 262_144,
  batchSize: 1000,
} as const;

const L = EVENT_LIMITS;
const Name = Type.String({ minLength: 1, maxLength: L.nameLength });
const LinkSchema = Type.Object(
  {
    title: Type.Optional(Type.String({ maxLength: L.nameLength })),
    url: Type.String({ format: 'http-url', maxLength: L.urlLength }),
  },
  { additionalProperties: false },
);

export const EventInputSchema = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: L.titleLength }),
    text: Type.Optional(Type.String({ maxLength: L.textLength })),
    source: Type.Optional(Name),
    type: Type.Optional(Name),
    action: Type.Optional(Name),
    status: Type.Optional(Type.Enum([...EVENT_STATUSES])),
    severity: Type.Optional(Type.Enum([...SEVERITIES])),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: L.keyLength })),
    labels: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_.\\-/]{0,127}$' }), Type.String({ maxLength: L.labelValueLength }), {
        maxProperties: L.labelCount,
        additionalProperties: false,
      }),
    ),
    url: Type.Optional(Type.String({ format: 'http-url', maxLength: L.urlLength })),
    links: Type.Optional(Type.Array(LinkSchema, { maxItems: L.linkCount })),
    data: Type.Optional(Type.Unknown()),
    occurred_at: Type.Optional(Type.String({ format: 'rfc3339' })),
  },
  { additionalProperties: false },
);

const validator = compileValidator<EventInput>(EventInputSchema);

/**
 * Checks one event against the schema and the size limits. Returns every
 * problem with a path rooted at `base` (e.g. `[3].title` in a batch).
 */
export function validateEvent(input: unknown, base = ''): ValidationIssue[] {
  if (!validator.check(input)) {
    const issues = validator.issues(input, base);
    return issues.map((i) => (/(^|\.)labels(\[|$)/.test(i.path) ? labelIssue(i, base) : i));
  }
  if (input.data !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(input.data));
    if (size > L.dataBytes) return [{ path: `${base ? `${base}.` : ''}data`, message: `must be at most ${L.dataBytes} bytes as JSON (got ${size})` }];
  }
  return [];
}

/** A label name that fails the pattern shows up as an unknown key; say what is wrong with it. */
function labelIssue(issue: ValidationIssue, base: string): ValidationIssue {
  const m = /labels\[(".*")\]$/.exec(issue.path);
  if (issue.message === 'is not a known key' && m) {
    return {
      path: `${base ? `${base}.` : ''}labels`,
      message: `label name ${m[1]} is invalid: names start with a letter or _ and use only letters, digits, _ . - / (at most 128)`,
    };
  }
  return issue;
}

/** Stamps a validated input: id, received_at, defaults. Pure. */
export function toHeraldEvent(input: EventInput, id: string, receivedAt: number): HeraldEvent {
  const event: HeraldEvent = { ...input, id, status: input.status ?? 'info', labels: input.labels ?? {}, received_at: new Date(receivedAt).toISOString() };
  if (input.occurred_at !== undefined) event.occurred_at = new Date(input.occurred_at).toISOString();
  return event;
}

/**
 * Stamps `source_type`, the kind of input an event came through: the source's
 * `type` (`github`, `smtp`, `http-check` …), `api` for `POST /api/v1/events`,
 * `prometheus` for `POST /api/v2/alerts`. `source` is the configured name, so
 * two sources of one type stay apart in routes; this field keeps the sender
 * type matchable the same way for every source. It is a field Herald adds,
 * like `id`, not a label: labels are the sender's, and receivers show them.
 * Applied after validation, which refuses a `source_type` sent in. Pure.
 */
export function stampSourceType<E extends EventInput>(event: E, type: string): E & { source_type: string } {
  return { ...event, source_type: type };
}

const cut = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.\-/]{0,127}$/;

/**
 * Makes an event a source mapped from someone else's payload fit Herald's
 * limits instead of refusing it: long strings are cut with "…", extra links
 * and labels dropped, invalid label names rewritten, and an oversized `data`
 * replaced by a note saying so (the event itself is never lost). Pure.
 */
export function fitEvent(input: EventInput): EventInput {
  const out: EventInput = { ...input, title: cut(input.title.trim() === '' ? '(no title)' : input.title, L.titleLength) };
  if (out.text !== undefined) out.text = cut(out.text, L.textLength);
  for (const f of ['source', 'type', 'action'] as const) {
    const v = out[f];
    if (v !== undefined) out[f] = v === '' ? undefined : cut(v, L.nameLength);
    if (out[f] === undefined) delete out[f];
  }
  if (out.key !== undefined) out.key = cut(out.key, L.keyLength);
  if (out.labels) {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(out.labels).slice(0, L.labelCount)) {
      const name = LABEL_NAME_RE.test(k) ? k : `_${k.replace(/[^A-Za-z0-9_.\-/]/g, '_')}`.slice(0, 128);
      labels[name] = cut(String(v), L.labelValueLength);
    }
    out.labels = labels;
  }
  const isUrl = (u: unknown) => typeof u === 'string' && u.length <= L.urlLength && /^https?:\/\/[^\s/]+/.test(u);
  if (out.url !== undefined && !isUrl(out.url)) delete out.url;
  if (out.links) out.links = out.links.filter((l) => isUrl(l.url)).slice(0, L.linkCount);
  if (out.data !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(out.data) ?? '');
    if (size > L.dataBytes) out.data = { herald_note: `the original payload (${size} bytes) exceeded the ${L.dataBytes}-byte data limit and was not kept` };
  }
  return out;
}
