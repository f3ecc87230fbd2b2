import { type ReceiverDefinition, type Static, Type } from '@herald/sdk';
import { type ContactRule, type Schedule, type Team, type User, validatePeople, WEEKDAYS } from '../core/oncall.js';
import { compileValidator, type ValidationIssue } from '../lib/validate.js';
import { withDefaults } from './defaults.js';

const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$';
const Name = (description: string) => Type.String({ pattern: NAME_PATTERN, description: `${description} (letters, digits, _ . @ -)` });
const UserRef = Type.String({ minLength: 1, description: 'a user name from users:' });

export const UserSchema = Type.Object(
  {
    name: Name('unique user name'),
    contacts: Type.Record(Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' }), Type.String({ minLength: 1, maxLength: 256 }), {
      additionalProperties: false,
      default: {},
      description: 'one address per receiver kind: email, slack (member ID), phone (E.164), pagerduty (user ID), or any other key',
    }),
  },
  { additionalProperties: false },
);

export const TeamSchema = Type.Object(
  {
    name: Name('unique team name'),
    members: Type.Array(UserRef, { minItems: 1 }),
  },
  { additionalProperties: false },
);

// length, handoff and start are checked by validatePeople, which names the expected form.
export const RotationSchema = Type.Object(
  {
    members: Type.Array(UserRef, { minItems: 1, description: 'user names in rotation order; member 0 starts at the first hand-off' }),
    length: Type.String({ minLength: 1, description: 'shift length: <N>h, <N>d or <N>w, e.g. 12h, 1d, 1w' }),
    handoff: Type.String({ minLength: 1, description: 'hand-off time, HH:MM local to time_zone' }),
    start: Type.String({ minLength: 1, description: 'YYYY-MM-DD local: the day of the first hand-off' }),
    handoff_day: Type.Optional(Type.Enum([...WEEKDAYS], { description: 'week-based lengths only: the weekday of every hand-off; start must fall on it' })),
  },
  { additionalProperties: false },
);

export const OverrideSchema = Type.Object(
  {
    user: UserRef,
    from: Type.String({ format: 'rfc3339' }),
    to: Type.String({ format: 'rfc3339', description: 'exclusive' }),
  },
  { additionalProperties: false },
);

export const ScheduleSchema = Type.Object(
  {
    name: Name('unique schedule name'),
    time_zone: Type.String({ minLength: 1, default: 'UTC', description: 'IANA time zone, e.g. Europe/Berlin' }),
    rotation: RotationSchema,
    overrides: Type.Array(OverrideSchema, { maxItems: 1000, default: [], description: 'someone else on duty from … to' }),
  },
  { additionalProperties: false },
);

/** The `users:`, `teams:` and `schedules:` sections of the config file. */
export const PeopleSectionsSchema = Type.Object({
  users: Type.Array(UserSchema, { default: [], description: 'people, with their contact addresses' }),
  teams: Type.Array(TeamSchema, { default: [], description: 'named groups of users' }),
  schedules: Type.Array(ScheduleSchema, { default: [], description: 'on-call rotations' }),
});

export type RawPeopleSections = Static<typeof PeopleSectionsSchema>;

export interface People {
  /** Users by name. */
  directory: Map<string, User>;
  teams: Map<string, Team>;
  schedules: Map<string, Schedule>;
  /** Empty when the sections are valid; otherwise the maps may be incomplete and must not be used. */
  issues: ValidationIssue[];
}

const validator = compileValidator<RawPeopleSections>(PeopleSectionsSchema);

/**
 * The contact checks the receivers declare (`contact:` in their definitions),
 * built-in and plugin alike, for `buildPeople`.
 */
export function contactRules(definitions: Iterable<Pick<ReceiverDefinition, 'contact'>>): ContactRule[] {
  const rules: ContactRule[] = [];
  for (const { contact: c } of definitions) {
    if (!c) continue;
    // A g or y flag would make test() stateful across users.
    const pattern = typeof c.pattern === 'string' ? new RegExp(c.pattern, 'u') : new RegExp(c.pattern.source, c.pattern.flags.replace(/[gy]/g, ''));
    rules.push({ field: c.field, pattern, message: `must be ${c.description}, e.g. ${c.example}${c.hint ? ` (${c.hint})` : ''}` });
  }
  return rules;
}

/**
 * Validates and builds the `users:`, `teams:` and `schedules:` sections
 * (shape first, then cross-references, time zones, dates and overrides, and
 * contacts against `rules`, see `contactRules`).
 * Pass the raw config object, or just those three keys; other keys are ignored.
 */
export function buildPeople(raw: { users?: unknown; teams?: unknown; schedules?: unknown }, rules: readonly ContactRule[] = []): People {
  const empty = (): People => ({ directory: new Map(), teams: new Map(), schedules: new Map(), issues: [] });
  const sections = { users: raw.users ?? undefined, teams: raw.teams ?? undefined, schedules: raw.schedules ?? undefined };
  // `users:` with nothing under it is null in YAML: treat it as absent.
  for (const k of ['users', 'teams', 'schedules'] as const) if (sections[k] === null) sections[k] = undefined;
  // The defaults (empty lists, time_zone UTC, …) come from the schemas above.
  const filled = withDefaults<unknown>(PeopleSectionsSchema, sections);
  if (!validator.check(filled)) return { ...empty(), issues: validator.issues(filled) };

  const users: User[] = filled.users.map((u) => ({ name: u.name, contacts: { ...u.contacts } }));
  const teams: Team[] = filled.teams.map((t) => ({ name: t.name, members: [...t.members] }));
  const schedules: Schedule[] = filled.schedules.map((s) => ({
    name: s.name,
    time_zone: s.time_zone,
    rotation: {
      members: [...s.rotation.members],
      length: s.rotation.length,
      handoff: s.rotation.handoff,
      start: s.rotation.start,
      ...(s.rotation.handoff_day === undefined ? {} : { handoff_day: s.rotation.handoff_day }),
    },
    overrides: s.overrides.map((o) => ({ user: o.user, from: o.from, to: o.to })),
  }));
  const issues = validatePeople({ users, teams, schedules }, rules);
  if (issues.length > 0) return { ...empty(), issues };
  return {
    directory: new Map(users.map((u) => [u.name, u])),
    teams: new Map(teams.map((t) => [t.name, t])),
    schedules: new Map(schedules.map((s) => [s.name, s])),
    issues: [],
  };
}
