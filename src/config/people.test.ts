import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onCallAt } from '../core/oncall.js';
import { formatIssues } from '../lib/validate.js';
import { builtinRegistry } from '../plugins/builtins.js';
import { readRawConfig } from './load.js';
import { buildPeople, contactRules } from './people.js';

const yaml = `
users:
  - name: alice
    contacts: { email: alice@example.com, slack: U024BE7LH, phone: "+4915112345678", pagerduty: PXPGF42 }
  - name: bob
    contacts:
      email: bob@example.com
      matrix: "@bob:example.org"
  - name: carol
teams:
  - name: platform
    members: [alice, bob]
schedules:
  - name: primary
    time_zone: Europe/Berlin
    rotation:
      members: [alice, bob, carol]
      length: 1w
      handoff: 09:00
      start: 2026-03-23
      handoff_day: monday
    overrides:
      - user: carol
        from: 2026-04-01T12:00:00+02:00
        to: 2026-04-02T12:00:00+02:00
  - name: daytime
    rotation: { members: [bob], length: 1d, handoff: 08:00, start: 2026-01-01 }
`;

/** Builds from YAML the way config loading reads it (YAML 1.2: 09:00 and 2026-03-23 stay strings). */
const fromYaml = (text: string) => buildPeople(readRawConfig(text, {}) as Record<string, unknown>);
const problems = (raw: Record<string, unknown>) => formatIssues(buildPeople(raw).issues).split('\n');

const rotation = { members: ['alice'], length: '1d', handoff: '09:00', start: '2026-01-05' };
const users = [{ name: 'alice' }, { name: 'bob' }];

describe('buildPeople', () => {
  it('builds the directory, teams and schedules, with defaults', () => {
    const people = fromYaml(yaml);
    assert.deepEqual(people.issues, []);
    assert.deepEqual([...people.directory.keys()], ['alice', 'bob', 'carol']);
    assert.deepEqual(people.directory.get('bob'), { name: 'bob', contacts: { email: 'bob@example.com', matrix: '@bob:example.org' } });
    assert.deepEqual(people.directory.get('carol'), { name: 'carol', contacts: {} });
    assert.deepEqual(people.teams.get('platform'), { name: 'platform', members: ['alice', 'bob'] });
    assert.deepEqual(people.schedules.get('daytime'), {
      name: 'daytime',
      time_zone: 'UTC',
      rotation: { members: ['bob'], length: '1d', handoff: '08:00', start: '2026-01-01' },
      overrides: [],
    });
    const primary = people.schedules.get('primary');
    assert.ok(primary);
    assert.equal(primary.rotation.handoff, '09:00');
    assert.equal(primary.rotation.start, '2026-03-23');
    assert.deepEqual(onCallAt(primary, Date.parse('2026-04-01T12:00:00+02:00')), {
      user: 'carol',
      from: Date.parse('2026-04-01T10:00:00Z'),
      to: Date.parse('2026-04-02T10:00:00Z'),
      override: true,
    });
  });

  it('treats absent or empty sections as none', () => {
    const people = fromYaml('users:\nteams:\n');
    assert.deepEqual(people.issues, []);
    assert.equal(people.directory.size + people.teams.size + people.schedules.size, 0);
    assert.deepEqual(buildPeople({}).issues, []);
  });

  // (TypeBox stops collecting after 8 raw errors, so the shape checks are split in two inputs.)
  it('reports shape errors with paths: users and teams', () => {
    assert.deepEqual(
      problems({
        users: [{ name: 'alice', contacts: { Email: 'a@x', slack: '' }, phone: '+49' }, { contacts: {} }],
        teams: [{ name: 'ops', members: 'alice' }],
      }),
      [
        'users[0].phone: is not a known key',
        'users[0].contacts.Email: is not a known key',
        'users[0].contacts.slack: must not be empty',
        'users[1].name: is required',
        'teams[0].members: must be a list',
      ],
    );
  });

  it('reports shape errors with paths: schedules', () => {
    assert.deepEqual(
      problems({
        schedules: [
          {
            name: 'primary',
            rotation: { members: ['alice'], length: '1w', handoff: '09:00', start: '2026-03-23', handoff_day: 'mon' },
            overrides: [{ user: 'alice', from: 'tomorrow', to: '2026-04-01T00:00:00Z' }],
          },
          { name: 'no rotation!', time_zone: '' },
        ],
      }),
      [
        'schedules[0].rotation.handoff_day: must be one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday',
        'schedules[0].overrides[0].from: must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z',
        'schedules[1].rotation: is required',
        'schedules[1].name: must match ^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$',
        'schedules[1].time_zone: must not be empty',
      ],
    );
  });

  it('reports unknown users in teams, rotations and overrides', () => {
    assert.deepEqual(
      problems({
        users,
        teams: [{ name: 'ops', members: ['alice', 'zoe'] }],
        schedules: [
          {
            name: 'primary',
            rotation: { ...rotation, members: ['alice', 'bob', 'bobby'] },
            overrides: [{ user: 'mallory', from: '2026-01-06T00:00:00Z', to: '2026-01-07T00:00:00Z' }],
          },
        ],
      }),
      [
        'teams[0].members[1]: no user named "zoe"',
        'schedules[0].rotation.members[2]: no user named "bobby"',
        'schedules[0].overrides[0].user: no user named "mallory"',
      ],
    );
  });

  it('reports duplicate names and a member listed twice in a team', () => {
    assert.deepEqual(
      problems({
        users: [...users, { name: 'alice' }],
        teams: [
          { name: 'ops', members: ['alice', 'bob', 'alice'] },
          { name: 'ops', members: ['bob'] },
        ],
        schedules: [
          { name: 'p', rotation },
          { name: 'p', rotation },
        ],
      }),
      [
        'users[2].name: duplicate user name "alice"',
        'teams[0].members[2]: "alice" is listed twice',
        'teams[1].name: duplicate team name "ops"',
        'schedules[1].name: duplicate schedule name "p"',
      ],
    );
  });

  it('reports bad time zones, lengths, hand-off times, dates and weekdays', () => {
    const s = (name: string, over: Record<string, unknown>, time_zone?: string) => ({
      name,
      ...(time_zone ? { time_zone } : {}),
      rotation: { ...rotation, ...over },
    });
    assert.deepEqual(
      problems({
        users,
        schedules: [
          s('a', {}, 'Europe/Berln'),
          s('b', { length: '7' }),
          s('c', { length: '0d' }),
          s('d', { handoff: '9:00' }),
          s('e', { handoff: '24:00' }),
          s('f', { start: '2026-02-30' }),
          s('g', { length: '1w', start: '2026-01-06', handoff_day: 'monday' }),
          s('h', { length: '1d', handoff_day: 'monday' }),
          s('i', { length: '2w', start: '2026-01-05', handoff_day: 'monday' }),
        ],
      }),
      [
        'schedules[0].time_zone: unknown time zone "Europe/Berln" (an IANA name such as Europe/Berlin or UTC)',
        'schedules[1].rotation.length: "7" is not a rotation length: <N>h, <N>d or <N>w, e.g. 12h, 1d, 1w',
        'schedules[2].rotation.length: "0d" is not a rotation length: <N>h, <N>d or <N>w, e.g. 12h, 1d, 1w',
        'schedules[3].rotation.handoff: "9:00" is not a time of day (HH:MM, 00:00–23:59)',
        'schedules[4].rotation.handoff: "24:00" is not a time of day (HH:MM, 00:00–23:59)',
        'schedules[5].rotation.start: "2026-02-30" is not a date (YYYY-MM-DD)',
        'schedules[6].rotation.start: 2026-01-06 is a tuesday, but handoff_day is monday',
        'schedules[7].rotation.handoff_day: only applies to week-based lengths (e.g. 1w), not "1d"',
      ],
    );
  });

  it('reports overrides that end before they start', () => {
    const o = (from: string, to: string) => ({ user: 'bob', from, to });
    assert.deepEqual(
      problems({
        users,
        schedules: [
          {
            name: 'p',
            rotation,
            overrides: [
              o('2026-01-06T00:00:00Z', '2026-01-06T00:00:00Z'),
              o('2026-01-06T12:00:00Z', '2026-01-06T13:00:00+02:00'),
              o('2026-01-06T00:00:00Z', '2026-01-07T00:00:00Z'),
            ],
          },
        ],
      }),
      ['schedules[0].overrides[0].to: must be after from (2026-01-06T00:00:00Z)', 'schedules[0].overrides[1].to: must be after from (2026-01-06T12:00:00Z)'],
    );
  });

  it('checks the contacts the built-in receivers declare and leaves other kinds free', () => {
    const rules = contactRules(
      builtinRegistry()
        .all()
        .map((r) => r.definition),
    );
    assert.deepEqual(
      formatIssues(
        buildPeople(
          { users: [{ name: 'alice', contacts: { email: 'alice', slack: '@alice', phone: '015112345678', pagerduty: 'alice', teams: 'anything goes' } }] },
          rules,
        ).issues,
      ).split('\n'),
      [
        'users[0].contacts.email: must be an email address, e.g. alice@example.com',
        'users[0].contacts.slack: must be a Slack member ID, e.g. U024BE7LH (Profile → ⋮ → Copy member ID)',
        'users[0].contacts.phone: must be an E.164 phone number, e.g. +4915112345678',
        'users[0].contacts.pagerduty: must be a PagerDuty user ID, e.g. PXPGF42',
      ],
    );
  });

  it("checks a kind only against the rules passed in: a plugin's declaration, string pattern included", () => {
    const users = [{ name: 'alice', contacts: { slack: '@alice', chat: 'alice' } }];
    assert.deepEqual(buildPeople({ users }).issues, []);
    const rules = contactRules([
      {},
      { contact: { field: 'chat', pattern: '^@\\p{L}+$', description: 'a chat handle', example: '@alice', hint: 'Settings → Handle' } },
      { contact: { field: 'chat', pattern: /^@/g, description: 'a chat handle', example: '@alice', hint: 'Settings → Handle' } },
    ]);
    assert.deepEqual(formatIssues(buildPeople({ users }, rules).issues), 'users[0].contacts.chat: must be a chat handle, e.g. @alice (Settings → Handle)');
    const ok = [
      { name: 'a', contacts: { chat: '@alice' } },
      { name: 'b', contacts: { chat: '@bob' } },
    ];
    assert.deepEqual(buildPeople({ users: ok }, rules).issues, []);
  });

  it('returns no half-built maps when there are issues', () => {
    const people = buildPeople({ users, teams: [{ name: 'ops', members: ['zoe'] }] });
    assert.equal(people.issues.length, 1);
    assert.equal(people.directory.size + people.teams.size + people.schedules.size, 0);
  });
});
