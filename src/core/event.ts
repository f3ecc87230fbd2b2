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
