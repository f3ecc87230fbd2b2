import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Override, Schedule, User } from '../core/oncall.js';
import { formatOnCall, parseAtOption } from './oncall.js';

const users: User[] = [
  { name: 'alice', contacts: { email: 'alice@example.com', slack: 'U024BE7LH' } },
  { name: 'bob', contacts: { phone: '+4915112345678' } },
  { name: 'carol', contacts: {} },
];
const directory = new Map(users.map((u) => [u.name, u]));
const primary = (overrides: Override[] = []): Schedule => ({
  name: 'primary',
  time_zone: 'Europe/Berlin',
  rotation: { members: ['alice', 'bob', 'carol'], length: '1w', handoff: '09:00', start: '2026-03-30', handoff_day: 'monday' },
  overrides,
});

describe('formatOnCall', () => {
  it('who, since and until when in the schedule time zone, contacts, and the next 3 hand-offs', () => {
    assert.equal(
      formatOnCall(primary(), Date.parse('2026-04-01T10:00:00Z'), directory),
      [
        'primary: alice (since 2026-03-30 09:00 Europe/Berlin, until 2026-04-06 09:00 Europe/Berlin)',
        '  contacts: email alice@example.com, slack U024BE7LH',
        'next hand-offs:',
        '  2026-04-06 09:00 Europe/Berlin  bob',
        '  2026-04-13 09:00 Europe/Berlin  carol',
        '  2026-04-20 09:00 Europe/Berlin  alice',
      ].join('\n'),
    );
  });

  it('marks overrides, now and among the coming hand-offs', () => {
    const s = primary([{ user: 'carol', from: '2026-04-01T12:00:00+02:00', to: '2026-04-02T12:00:00+02:00' }]);
    assert.equal(
      formatOnCall(s, Date.parse('2026-04-01T08:00:00Z'), directory),
      [
        'primary: alice (since 2026-03-30 09:00 Europe/Berlin, until 2026-04-01 12:00 Europe/Berlin)',
        '  contacts: email alice@example.com, slack U024BE7LH',
        'next hand-offs:',
        '  2026-04-01 12:00 Europe/Berlin  carol (override)',
        '  2026-04-02 12:00 Europe/Berlin  alice',
        '  2026-04-06 09:00 Europe/Berlin  bob',
      ].join('\n'),
    );
    assert.equal(
      formatOnCall(s, Date.parse('2026-04-01T10:00:00Z'), directory).split('\n').slice(0, 2).join('\n'),
      ['primary: carol (since 2026-04-01 12:00 Europe/Berlin, until 2026-04-02 12:00 Europe/Berlin) (override)', '  contacts: (none)'].join('\n'),
    );
  });

  it('throws when the on-call user is not in the directory', () => {
    assert.throws(() => formatOnCall(primary(), Date.parse('2026-04-01T10:00:00Z'), new Map()), /no user named "alice"/);
  });
});

describe('parseAtOption', () => {
  const cases: [string, string][] = [
    ['2026-03-30T09:00:00Z', '2026-03-30T09:00:00.000Z'],
    ['2026-03-30T09:00:00+02:00', '2026-03-30T07:00:00.000Z'],
    ['2026-03-30 09:00:00.5Z', '2026-03-30T09:00:00.500Z'],
    // Local to the schedule's zone.
    ['2026-03-30 09:00', '2026-03-30T07:00:00.000Z'],
    ['2026-03-27T09:00', '2026-03-27T08:00:00.000Z'],
    ['2026-03-30', '2026-03-29T22:00:00.000Z'],
    ['2026-03-29 02:30', '2026-03-29T01:00:00.000Z'],
  ];
  for (const [text, want] of cases) {
    it(`${text} → ${want}`, () => {
      assert.equal(new Date(parseAtOption(text, 'Europe/Berlin')).toISOString(), want);
    });
  }

  it('rejects anything else with the accepted forms', () => {
    assert.throws(
      () => parseAtOption('tomorrow', 'Europe/Berlin'),
      /--at: "tomorrow" is not a time: use RFC 3339 .* or local "YYYY-MM-DD HH:MM" in Europe\/Berlin/,
    );
    assert.throws(() => parseAtOption('2026-02-30 09:00', 'UTC'), /"2026-02-30" is not a date/);
  });
});
