import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatLocal,
  localToEpoch,
  type Override,
  onCallAt,
  type Rotation,
  resolvePeople,
  type Schedule,
  type Team,
  type User,
  upcomingHandoffs,
  validateSelector,
} from './oncall.js';

const ms = (iso: string) => Date.parse(iso);
const iso = (n: number) => new Date(n).toISOString().replace('.000Z', 'Z');
const HOUR = 3_600_000;

const schedule = (time_zone: string, rotation: Partial<Rotation> & Pick<Rotation, 'length' | 'handoff' | 'start'>, overrides: Override[] = []): Schedule => ({
  name: 'primary',
  time_zone,
  rotation: { members: ['alice', 'bob', 'carol'], ...rotation },
  overrides,
});

/** [instant, user, from, to] */
type Row = [string, string, string, string];

function check(s: Schedule, rows: Row[]) {
  for (const [at, user, from, to] of rows) {
    it(`${at} → ${user} [${from}, ${to})`, () => {
      const got = onCallAt(s, ms(at));
      assert.deepEqual({ user: got.user, from: iso(got.from), to: iso(got.to), override: got.override }, { user, from, to, override: false });
    });
  }
}

describe('local time ↔ UTC', () => {
  const cases: [string, string, string, string][] = [
    ['UTC', '2026-01-01', '00:00', '2026-01-01T00:00:00Z'],
    ['Europe/Berlin', '2026-03-28', '09:00', '2026-03-28T08:00:00Z'],
    ['Europe/Berlin', '2026-03-29', '09:00', '2026-03-29T07:00:00Z'],
    // 02:00–03:00 does not exist on 2026-03-29 in Berlin: the first valid instant after it is 03:00 CEST.
    ['Europe/Berlin', '2026-03-29', '02:30', '2026-03-29T01:00:00Z'],
    ['Europe/Berlin', '2026-03-29', '02:00', '2026-03-29T01:00:00Z'],
    // 02:00–03:00 happens twice on 2026-10-25: the first occurrence (CEST) is used.
    ['Europe/Berlin', '2026-10-25', '02:30', '2026-10-25T00:30:00Z'],
    ['Europe/Berlin', '2026-10-25', '03:00', '2026-10-25T02:00:00Z'],
    ['America/New_York', '2026-03-08', '02:30', '2026-03-08T07:00:00Z'],
    ['America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30:00Z'],
    // A half-hour DST change: 02:00 → 02:30.
    ['Australia/Lord_Howe', '2026-10-04', '02:15', '2026-10-03T15:30:00Z'],
    ['Asia/Kolkata', '2026-06-01', '09:00', '2026-06-01T03:30:00Z'],
  ];
  for (const [tz, date, time, want] of cases) {
    it(`${date} ${time} ${tz} → ${want}`, () => {
      assert.equal(iso(localToEpoch(tz, date, time)), want);
    });
  }

  it('formats instants as local wall-clock time', () => {
    assert.equal(formatLocal(ms('2026-03-30T07:00:00Z'), 'Europe/Berlin'), '2026-03-30 09:00');
    assert.equal(formatLocal(ms('2026-10-25T00:30:00Z'), 'Europe/Berlin'), '2026-10-25 02:30');
    assert.equal(formatLocal(ms('2026-10-25T01:30:00Z'), 'Europe/Berlin'), '2026-10-25 02:30');
    assert.equal(formatLocal(ms('2026-01-01T00:00:00Z'), 'UTC'), '2026-01-01 00:00');
  });

  it('rejects unknown zones and impossible dates', () => {
    assert.throws(() => localToEpoch('Europe/Berln', '2026-01-01', '09:00'), /unknown time zone "Europe\/Berln"/);
    assert.throws(() => localToEpoch('UTC', '2026-02-30', '09:00'), /not a date/);
    assert.throws(() => localToEpoch('UTC', '2026-02-01', '24:00'), /not a time/);
  });
});

describe('daily rotation (UTC)', () => {
  check(schedule('UTC', { length: '1d', handoff: '09:00', start: '2026-01-01' }), [
    ['2026-01-01T09:00:00Z', 'alice', '2026-01-01T09:00:00Z', '2026-01-02T09:00:00Z'],
    ['2026-01-02T08:59:59.999Z', 'alice', '2026-01-01T09:00:00Z', '2026-01-02T09:00:00Z'],
    // Exactly at a hand-off: the next person.
    ['2026-01-02T09:00:00Z', 'bob', '2026-01-02T09:00:00Z', '2026-01-03T09:00:00Z'],
    ['2026-01-03T12:00:00Z', 'carol', '2026-01-03T09:00:00Z', '2026-01-04T09:00:00Z'],
    ['2026-01-04T09:00:00Z', 'alice', '2026-01-04T09:00:00Z', '2026-01-05T09:00:00Z'],
    ['2026-12-31T23:00:00Z', 'bob', '2026-12-31T09:00:00Z', '2027-01-01T09:00:00Z'],
    // Before start the rotation extends backwards with the same cycle: the last member had the day before.
    ['2026-01-01T08:59:59Z', 'carol', '2025-12-31T09:00:00Z', '2026-01-01T09:00:00Z'],
    ['2025-12-30T10:00:00Z', 'bob', '2025-12-30T09:00:00Z', '2025-12-31T09:00:00Z'],
  ]);
});

describe('multi-day and hour-based rotations', () => {
  describe('3d', () => {
    check(schedule('UTC', { length: '3d', handoff: '00:00', start: '2026-01-01' }), [
      ['2026-01-03T23:59:59Z', 'alice', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00Z'],
      ['2026-01-04T00:00:00Z', 'bob', '2026-01-04T00:00:00Z', '2026-01-07T00:00:00Z'],
    ]);
  });
  describe('12h in Berlin keeps 09:00/21:00 local across spring-forward (the night shift is 11 hours)', () => {
    check(schedule('Europe/Berlin', { members: ['day', 'night'], length: '12h', handoff: '09:00', start: '2026-03-01' }), [
      ['2026-03-28T12:00:00Z', 'day', '2026-03-28T08:00:00Z', '2026-03-28T20:00:00Z'],
      ['2026-03-29T03:00:00Z', 'night', '2026-03-28T20:00:00Z', '2026-03-29T07:00:00Z'],
      ['2026-03-29T07:00:00Z', 'day', '2026-03-29T07:00:00Z', '2026-03-29T19:00:00Z'],
    ]);
  });
});

describe('weekly Europe/Berlin rotation, Monday 09:00, across DST', () => {
  const s = schedule('Europe/Berlin', { length: '1w', handoff: '09:00', start: '2026-03-23', handoff_day: 'monday' });
  check(s, [
    // CET (+01:00): 09:00 local is 08:00Z.
    ['2026-03-23T08:00:00Z', 'alice', '2026-03-23T08:00:00Z', '2026-03-30T07:00:00Z'],
    ['2026-03-29T12:00:00Z', 'alice', '2026-03-23T08:00:00Z', '2026-03-30T07:00:00Z'],
    // After the spring-forward weekend (CEST, +02:00): 09:00 local is 07:00Z.
    ['2026-03-30T06:59:59Z', 'alice', '2026-03-23T08:00:00Z', '2026-03-30T07:00:00Z'],
    ['2026-03-30T07:00:00Z', 'bob', '2026-03-30T07:00:00Z', '2026-04-06T07:00:00Z'],
    // 30 weeks after start: alice again; the fall-back weekend makes this shift end at 08:00Z.
    ['2026-10-19T07:00:00Z', 'alice', '2026-10-19T07:00:00Z', '2026-10-26T08:00:00Z'],
    ['2026-10-26T07:59:59Z', 'alice', '2026-10-19T07:00:00Z', '2026-10-26T08:00:00Z'],
    ['2026-10-26T08:00:00Z', 'bob', '2026-10-26T08:00:00Z', '2026-11-02T08:00:00Z'],
  ]);

  it('the shifts over the DST weekends are 167 and 169 hours', () => {
    const spring = onCallAt(s, ms('2026-03-29T12:00:00Z'));
    const fall = onCallAt(s, ms('2026-10-25T12:00:00Z'));
    const normal = onCallAt(s, ms('2026-06-01T12:00:00Z'));
    assert.equal((spring.to - spring.from) / HOUR, 167);
    assert.equal((fall.to - fall.from) / HOUR, 169);
    assert.equal((normal.to - normal.from) / HOUR, 168);
    assert.equal(formatLocal(spring.to, 'Europe/Berlin'), '2026-03-30 09:00');
    assert.equal(formatLocal(fall.to, 'Europe/Berlin'), '2026-10-26 09:00');
  });

  it('every hand-off of 2026 is Monday 09:00 local', () => {
    let t = ms('2026-01-01T00:00:00Z');
    for (let i = 0; i < 53; i++) {
      const shift = onCallAt(s, t);
      const local = formatLocal(shift.to, 'Europe/Berlin');
      assert.equal(local.slice(11), '09:00', local);
      assert.equal(new Date(`${local.slice(0, 10)}T00:00:00Z`).getUTCDay(), 1, local);
      t = shift.to;
    }
  });
});

describe('daily America/New_York rotation, 09:00, across DST', () => {
  check(schedule('America/New_York', { length: '1d', handoff: '09:00', start: '2026-03-01' }), [
    // EST (-05:00) → EDT (-04:00) on 2026-03-08: the shift is 23 hours.
    ['2026-03-07T20:00:00Z', 'alice', '2026-03-07T14:00:00Z', '2026-03-08T13:00:00Z'],
    ['2026-03-08T13:00:00Z', 'bob', '2026-03-08T13:00:00Z', '2026-03-09T13:00:00Z'],
    // EDT → EST on 2026-11-01: the shift is 25 hours.
    ['2026-11-01T06:00:00Z', 'bob', '2026-10-31T13:00:00Z', '2026-11-01T14:00:00Z'],
    ['2026-11-01T14:00:00Z', 'carol', '2026-11-01T14:00:00Z', '2026-11-02T14:00:00Z'],
  ]);
});

describe('hand-off at 02:30 on the spring-forward day moves to 03:00', () => {
  describe('Europe/Berlin', () => {
    check(schedule('Europe/Berlin', { length: '1d', handoff: '02:30', start: '2026-03-27' }), [
      ['2026-03-28T12:00:00Z', 'bob', '2026-03-28T01:30:00Z', '2026-03-29T01:00:00Z'],
      ['2026-03-29T01:00:00Z', 'carol', '2026-03-29T01:00:00Z', '2026-03-30T00:30:00Z'],
      ['2026-03-30T00:30:00Z', 'alice', '2026-03-30T00:30:00Z', '2026-03-31T00:30:00Z'],
      // Fall-back: 02:30 happens twice; the first (CEST) one hands off, so that shift is 25 hours.
      ['2026-10-25T00:30:00Z', 'carol', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
      // 02:15 for the second time (CET): after the hand-off, although the wall clock reads earlier than 02:30.
      ['2026-10-25T01:15:00Z', 'carol', '2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
      ['2026-10-25T00:29:59Z', 'bob', '2026-10-24T00:30:00Z', '2026-10-25T00:30:00Z'],
    ]);
  });
  describe('America/New_York', () => {
    check(schedule('America/New_York', { length: '1d', handoff: '02:30', start: '2026-03-07' }), [
      ['2026-03-08T06:59:59Z', 'alice', '2026-03-07T07:30:00Z', '2026-03-08T07:00:00Z'],
      ['2026-03-08T07:00:00Z', 'bob', '2026-03-08T07:00:00Z', '2026-03-09T06:30:00Z'],
    ]);
  });
});

describe('overrides', () => {
  const base = { length: '1w', handoff: '00:00', start: '2026-01-05' } as const; // Mondays, UTC
  const o = (user: string, from: string, to: string): Override => ({ user, from, to });

  it('win while they last; `to` is exclusive; the rotation resumes after', () => {
    const s = schedule('UTC', base, [o('dave', '2026-01-07T12:00:00Z', '2026-01-08T12:00:00+00:00')]);
    const at = (t: string) => {
      const r = onCallAt(s, ms(t));
      return [r.user, iso(r.from), iso(r.to), r.override];
    };
    assert.deepEqual(at('2026-01-07T11:59:59Z'), ['alice', '2026-01-05T00:00:00Z', '2026-01-07T12:00:00Z', false]);
    assert.deepEqual(at('2026-01-07T12:00:00Z'), ['dave', '2026-01-07T12:00:00Z', '2026-01-08T12:00:00Z', true]);
    assert.deepEqual(at('2026-01-08T11:59:59Z'), ['dave', '2026-01-07T12:00:00Z', '2026-01-08T12:00:00Z', true]);
    assert.deepEqual(at('2026-01-08T12:00:00Z'), ['alice', '2026-01-08T12:00:00Z', '2026-01-12T00:00:00Z', false]);
    assert.deepEqual(at('2026-01-12T00:00:00Z'), ['bob', '2026-01-12T00:00:00Z', '2026-01-19T00:00:00Z', false]);
  });

  it('across a hand-off: one override span, the rotation continues behind it', () => {
    const s = schedule('UTC', base, [o('dave', '2026-01-11T18:00:00Z', '2026-01-12T06:00:00Z')]);
    const r = onCallAt(s, ms('2026-01-12T00:00:00Z'));
    assert.deepEqual([r.user, iso(r.from), iso(r.to), r.override], ['dave', '2026-01-11T18:00:00Z', '2026-01-12T06:00:00Z', true]);
    const after = onCallAt(s, ms('2026-01-12T06:00:00Z'));
    assert.deepEqual([after.user, iso(after.from), iso(after.to)], ['bob', '2026-01-12T06:00:00Z', '2026-01-19T00:00:00Z']);
  });

  it('overlapping: the later-starting override wins while it lasts, then the earlier one resumes', () => {
    const s = schedule('UTC', base, [
      o('erin', '2026-01-10T00:00:00Z', '2026-01-20T00:00:00Z'),
      o('frank', '2026-01-12T00:00:00Z', '2026-01-14T00:00:00Z'),
      // Starts earlier than erin's though listed later: erin wins once she starts.
      o('gina', '2026-01-09T00:00:00Z', '2026-01-11T00:00:00Z'),
    ]);
    const at = (t: string) => {
      const r = onCallAt(s, ms(t));
      return [r.user, iso(r.from), iso(r.to), r.override];
    };
    assert.deepEqual(at('2026-01-08T23:59:59Z'), ['alice', '2026-01-05T00:00:00Z', '2026-01-09T00:00:00Z', false]);
    assert.deepEqual(at('2026-01-09T12:00:00Z'), ['gina', '2026-01-09T00:00:00Z', '2026-01-10T00:00:00Z', true]);
    assert.deepEqual(at('2026-01-10T12:00:00Z'), ['erin', '2026-01-10T00:00:00Z', '2026-01-12T00:00:00Z', true]);
    assert.deepEqual(at('2026-01-13T00:00:00Z'), ['frank', '2026-01-12T00:00:00Z', '2026-01-14T00:00:00Z', true]);
    assert.deepEqual(at('2026-01-15T00:00:00Z'), ['erin', '2026-01-14T00:00:00Z', '2026-01-20T00:00:00Z', true]);
    assert.deepEqual(at('2026-01-20T00:00:00Z'), ['carol', '2026-01-20T00:00:00Z', '2026-01-26T00:00:00Z', false]);
  });

  it('equal starts: the one listed later wins', () => {
    const s = schedule('UTC', base, [o('erin', '2026-01-10T00:00:00Z', '2026-01-11T00:00:00Z'), o('frank', '2026-01-10T00:00:00Z', '2026-01-10T12:00:00Z')]);
    assert.equal(onCallAt(s, ms('2026-01-10T06:00:00Z')).user, 'frank');
    const later = onCallAt(s, ms('2026-01-10T12:00:00Z'));
    assert.deepEqual([later.user, iso(later.from), iso(later.to)], ['erin', '2026-01-10T12:00:00Z', '2026-01-11T00:00:00Z']);
  });

  it('upcomingHandoffs lists rotation hand-offs and override edges in order', () => {
    const s = schedule('UTC', base, [o('dave', '2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z')]);
    const next = upcomingHandoffs(s, ms('2026-01-06T00:00:00Z'), 4).map((h) => [h.user, iso(h.from), h.override]);
    assert.deepEqual(next, [
      ['bob', '2026-01-12T00:00:00Z', false],
      ['dave', '2026-01-14T00:00:00Z', true],
      ['bob', '2026-01-15T00:00:00Z', false],
      ['carol', '2026-01-19T00:00:00Z', false],
    ]);
  });
});

it('onCallAt refuses an invalid schedule instead of guessing', () => {
  assert.throws(() => onCallAt(schedule('Mars/Olympus', { length: '1d', handoff: '09:00', start: '2026-01-01' }), 0), /unknown time zone "Mars\/Olympus"/);
  assert.throws(() => onCallAt(schedule('UTC', { length: '1d', handoff: '9am', start: '2026-01-01' }), 0), /rotation\.handoff/);
  assert.throws(() => onCallAt(schedule('UTC', { length: '1d', handoff: '09:00', start: '2026-01-01' }), Number.NaN), /invalid instant/);
});

describe('resolvePeople', () => {
  const users: User[] = [
    { name: 'alice', contacts: { email: 'alice@example.com', slack: 'U0ALICE' } },
    { name: 'bob', contacts: { email: 'bob@example.com', phone: '+4915112345678' } },
    { name: 'carol', contacts: { pagerduty: 'PCAROL1' } },
    { name: 'dave', contacts: {} },
  ];
  const directory = new Map(users.map((u) => [u.name, u]));
  const teams = new Map<string, Team>([['ops', { name: 'ops', members: ['alice', 'bob'] }]]);
  const primary = schedule('UTC', { length: '1d', handoff: '00:00', start: '2026-01-01' });
  const schedules = new Map([['primary', primary]]);
  const jan2 = ms('2026-01-02T12:00:00Z'); // bob is on call

  it('users, then team members, then whoever is on call; each person once, first place kept', () => {
    const people = resolvePeople({ users: ['carol', 'alice'], teams: ['ops'], on_call: 'primary' }, directory, teams, schedules, jan2);
    assert.deepEqual(people, [
      { name: 'carol', contacts: { pagerduty: 'PCAROL1' } },
      { name: 'alice', contacts: { email: 'alice@example.com', slack: 'U0ALICE' } },
      { name: 'bob', contacts: { email: 'bob@example.com', phone: '+4915112345678' } },
    ]);
  });

  it('on_call follows the clock and accepts a list', () => {
    assert.deepEqual(
      resolvePeople({ on_call: ['primary'] }, directory, teams, schedules, ms('2026-01-03T00:00:00Z')).map((p) => p.name),
      ['carol'],
    );
    assert.deepEqual(
      resolvePeople({ users: ['dave'], on_call: 'primary' }, directory, teams, schedules, ms('2026-01-01T00:00:00Z')).map((p) => p.name),
      ['dave', 'alice'],
    );
    assert.deepEqual(resolvePeople({}, directory, teams, schedules, jan2), []);
  });

  it('returns copies: a receiver cannot change the directory', () => {
    const [p] = resolvePeople({ users: ['alice'] }, directory, teams, schedules, jan2);
    assert.ok(p);
    p.contacts.email = 'mallory@example.com';
    assert.equal(directory.get('alice')?.contacts.email, 'alice@example.com');
  });

  it('throws on unknown names (config loading rejects them first)', () => {
    assert.throws(() => resolvePeople({ users: ['zed'] }, directory, teams, schedules, jan2), /no user named "zed"/);
    assert.throws(() => resolvePeople({ teams: ['dev'] }, directory, teams, schedules, jan2), /no team named "dev"/);
    assert.throws(() => resolvePeople({ on_call: 'secondary' }, directory, teams, schedules, jan2), /no schedule named "secondary"/);
  });

  it('validateSelector reports unknown names with route paths', () => {
    assert.deepEqual(validateSelector({ users: ['alice', 'zed'], teams: ['dev'], on_call: 'secondary' }, 'routes[2]', directory, teams, schedules), [
      { path: 'routes[2].users[1]', message: 'no user named "zed"' },
      { path: 'routes[2].teams[0]', message: 'no team named "dev"' },
      { path: 'routes[2].on_call', message: 'no schedule named "secondary"' },
    ]);
    assert.deepEqual(validateSelector({ on_call: ['primary', 'x'] }, 'routes[0]', directory, teams, schedules), [
      { path: 'routes[0].on_call[1]', message: 'no schedule named "x"' },
    ]);
    assert.deepEqual(validateSelector({ users: ['bob'], teams: ['ops'], on_call: 'primary' }, 'routes[0]', directory, teams, schedules), []);
  });
});
