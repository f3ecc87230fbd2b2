import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextWindowChange, suppression, windowActiveAt } from '../core/silence.js';
import { formatIssues } from '../lib/validate.js';
import { readRawConfig } from './load.js';
import { buildSilenceConfig } from './silences.js';

const yaml = `
silences:
  - id: db-migration
    matchers: ['host=~"db-.*"', 'env="prod"']
    starts_at: 2026-03-28T20:00:00Z
    ends_at: 2026-03-28T23:00:00+01:00
    author: alice
    comment: Migrating the primary database (CHG-1234)
  - matchers: [alertname=Watchdog]
    starts_at: 2026-01-01T00:00:00Z
    ends_at: 2027-01-01T00:00:00Z
    author: bob
    comment: Heartbeat only
maintenance:
  - name: saturday-patching
    matchers: ['env="prod"', 'team=~"platform|storage"']
    time_zone: Europe/Berlin
    weekly:
      - days: [saturday]
        start: 22:00
        end: 02:00
      - days: [Sunday]
        start: 14:00
        end: 24:00
    comment: Weekly OS patching
inhibit_rules:
  - name: datacenter-down
    source_matchers: ['alertname="DatacenterDown"']
    target_matchers: ['alertname=~"HostDown|DiskFull|ServiceDown"']
    equal: [datacenter]
  - source_matchers: [severity=critical]
    target_matchers: [severity=warning]
    equal: [alertname, host]
`;

/** Builds from YAML the way config loading reads it (YAML 1.2: 22:00 stays a string). */
const fromYaml = (text: string) => buildSilenceConfig(readRawConfig(text, {}) as Record<string, unknown>);
const problems = (raw: Record<string, unknown>) => formatIssues(buildSilenceConfig(raw).issues).split('\n');

const okSilence = { matchers: ['host="a"'], starts_at: '2026-01-01T00:00:00Z', ends_at: '2026-01-02T00:00:00Z', author: 'alice', comment: 'why' };
const okWindow = { name: 'w', matchers: ['env="prod"'], time_zone: 'UTC', weekly: [{ days: ['saturday'], start: '22:00', end: '02:00' }] };
const okRule = { source_matchers: ['alertname="A"'], target_matchers: ['alertname="B"'] };

describe('buildSilenceConfig', () => {
  it('builds silences, windows and rules from YAML, with defaults', () => {
    const c = fromYaml(yaml);
    assert.deepEqual(c.issues, []);
    assert.deepEqual(
      c.silences.map((s) => ({ ...s, matchers: s.matchers.map((m) => `${m.name}${m.op}${m.value}`) })),
      [
        {
          id: 'db-migration',
          matchers: ['labels.host=~db-.*', 'labels.env=prod'],
          starts_at: Date.parse('2026-03-28T20:00:00Z'),
          ends_at: Date.parse('2026-03-28T22:00:00Z'),
          author: 'alice',
          comment: 'Migrating the primary database (CHG-1234)',
        },
        {
          id: 'silences[1]',
          matchers: ['labels.alertname=Watchdog'],
          starts_at: Date.parse('2026-01-01T00:00:00Z'),
          ends_at: Date.parse('2027-01-01T00:00:00Z'),
          author: 'bob',
          comment: 'Heartbeat only',
        },
      ],
    );
    const [w] = c.windows;
    assert.ok(w);
    assert.equal(w.name, 'saturday-patching');
    assert.equal(w.time_zone, 'Europe/Berlin');
    assert.equal(w.comment, 'Weekly OS patching');
    assert.deepEqual(w.weekly, [
      { days: ['saturday'], start: '22:00', end: '02:00' },
      { days: ['sunday'], start: '14:00', end: '24:00' },
    ]);
    assert.equal(windowActiveAt(w, Date.parse('2026-03-28T21:00:00Z')), true);
    // Sunday 14:00 CEST opens the second slot; it runs to the end of the day.
    assert.equal(new Date(nextWindowChange(w, Date.parse('2026-03-29T12:00:00Z'))).toISOString(), '2026-03-29T22:00:00.000Z');
    assert.deepEqual(
      c.rules.map((r) => ({ name: r.name, equal: r.equal, sources: r.source_matchers.length, targets: r.target_matchers.length })),
      [
        { name: 'datacenter-down', equal: ['datacenter'], sources: 1, targets: 1 },
        { name: 'inhibit_rules[1]', equal: ['alertname', 'host'], sources: 1, targets: 1 },
      ],
    );
    // The built pieces work together.
    const at = Date.parse('2026-03-28T21:30:00Z');
    assert.deepEqual(suppression({ host: 'db-1', env: 'prod' }, { silences: c.silences, windows: c.windows }, at), {
      kind: 'silenced',
      by: 'db-migration',
      until: Date.parse('2026-03-28T22:00:00Z'),
    });
    assert.deepEqual(suppression({ host: 'web-1', env: 'prod', team: 'storage' }, { silences: c.silences, windows: c.windows }, at), {
      kind: 'maintenance',
      by: 'saturday-patching',
      until: Date.parse('2026-03-29T01:00:00Z'),
    });
    assert.deepEqual(
      suppression(
        { alertname: 'DiskFull', datacenter: 'fra1' },
        { firing: [{ labels: { alertname: 'DatacenterDown', datacenter: 'fra1' } }], rules: c.rules },
        at,
      ),
      { kind: 'inhibited', by: 'datacenter-down', source: { alertname: 'DatacenterDown', datacenter: 'fra1' } },
    );
  });

  it('treats absent or empty sections as none', () => {
    const c = fromYaml('silences:\nmaintenance:\ninhibit_rules:\n');
    assert.deepEqual(c, { silences: [], windows: [], rules: [], issues: [] });
    assert.deepEqual(buildSilenceConfig({}), { silences: [], windows: [], rules: [], issues: [] });
  });

  const cases: Array<{ name: string; raw: Record<string, unknown>; want: string[] }> = [
    {
      name: 'shape errors',
      raw: {
        silences: [{ ...okSilence, author: '', extra: 1 }, { matchers: [] }],
        maintenance: 'weekly',
      },
      want: [
        'silences[0].extra: is not a known key',
        'silences[0].author: must not be empty',
        'silences[1].starts_at: is required',
        'silences[1].ends_at: is required',
        'silences[1].author: is required',
        'silences[1].comment: is required',
        'silences[1].matchers: must have at least 1 items',
        'maintenance: must be a list',
      ],
    },
    {
      name: 'silence timestamps that are not RFC 3339',
      raw: {
        silences: [
          { ...okSilence, starts_at: 'now' },
          { ...okSilence, ends_at: '2026-01-02' },
        ],
      },
      want: [
        'silences[0].starts_at: must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z',
        'silences[1].ends_at: must be an RFC 3339 timestamp, e.g. 2026-01-31T12:00:00Z',
      ],
    },
    {
      name: 'silence ends not after starts',
      raw: {
        silences: [
          okSilence,
          { ...okSilence, ends_at: '2026-01-01T00:00:00Z' },
          { ...okSilence, ends_at: '2025-12-31T23:00:00Z' },
          { ...okSilence, starts_at: '2026-01-02T01:00:00+01:00', ends_at: '2026-01-02T00:00:00Z' },
        ],
      },
      want: ['silences[1]: ends_at must be after starts_at', 'silences[2]: ends_at must be after starts_at', 'silences[3]: ends_at must be after starts_at'],
    },
    {
      name: 'bad matchers and matchers that only match the empty string',
      raw: {
        silences: [
          { ...okSilence, matchers: ['host'] },
          { ...okSilence, matchers: ['env=""', 'host=~".*"'] },
          { ...okSilence, matchers: ['env=""', 'host!~"web-.*"'] },
          { ...okSilence, id: 'x', matchers: ['host=~"("'] },
        ],
      },
      want: [
        'silences[0].matchers[0]: not a matcher: expected name=value, name!=value, name=~regex or name!~regex',
        'silences[1].matchers: at least one matcher must not match the empty string (it would also match events without that label)',
        'silences[3].matchers[0]: invalid regex "(": Invalid regular expression: /^(?:()$/u: Unterminated group',
      ],
    },
    {
      name: 'ids and names in the form of the defaults',
      raw: { silences: [{ ...okSilence, id: 'silences[0]' }], inhibit_rules: [{ ...okRule, name: 'inhibit_rules[0]' }] },
      want: ['silences[0].id: must match ^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$', 'inhibit_rules[0].name: must match ^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,63}$'],
    },
    {
      name: 'duplicate ids and names',
      raw: {
        silences: [
          { ...okSilence, id: 'a' },
          { ...okSilence, id: 'a' },
        ],
        maintenance: [okWindow, okWindow],
        inhibit_rules: [
          { ...okRule, name: 'r' },
          { ...okRule, name: 'r' },
        ],
      },
      want: [
        'silences[1].id: duplicate silence id "a"',
        'maintenance[1].name: duplicate maintenance window name "w"',
        'inhibit_rules[1].name: duplicate inhibit rule name "r"',
      ],
    },
    {
      name: 'maintenance: time zone, weekdays and times of day',
      raw: {
        maintenance: [
          { ...okWindow, time_zone: 'Europe/Berln' },
          {
            ...okWindow,
            name: 'w2',
            weekly: [
              { days: ['saturday'], start: '22:00', end: '02:00' },
              { days: ['sat', 'Sunday', 'sunday'], start: '7:00', end: '24:01' },
              { days: ['monday'], start: '24:00', end: '24:00' },
              { days: ['friday'], start: '18:00', end: '18:00' },
            ],
          },
        ],
      },
      want: [
        'maintenance[0].time_zone: unknown time zone "Europe/Berln" (an IANA name such as Europe/Berlin or UTC)',
        'maintenance[1].weekly[1].days[0]: unknown weekday "sat" (one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday)',
        'maintenance[1].weekly[1].days[2]: "sunday" is listed twice',
        'maintenance[1].weekly[1].start: must be HH:MM (00:00–23:59), not "7:00"',
        'maintenance[1].weekly[1].end: must be HH:MM (00:00–23:59, or 24:00), not "24:01"',
        'maintenance[1].weekly[2].start: must be HH:MM (00:00–23:59), not "24:00"',
        'maintenance[1].weekly[3].end: must differ from start (18:00); for a whole day use start 00:00 and end 24:00',
      ],
    },
    {
      name: 'maintenance: shape',
      raw: { maintenance: [{ name: 'w', matchers: [], time_zone: '', weekly: [{ days: [], start: 22 }] }] },
      want: [
        'maintenance[0].matchers: must have at least 1 items',
        'maintenance[0].time_zone: must not be empty',
        'maintenance[0].weekly[0].end: is required',
        'maintenance[0].weekly[0].days: must have at least 1 items',
        'maintenance[0].weekly[0].start: must be a string',
      ],
    },
    {
      name: 'inhibit rules: matchers that do not parse',
      raw: {
        inhibit_rules: [
          { ...okRule, source_matchers: ['ok="1"', 'bad name="x"', 'severity=~"(crit"'] },
          { ...okRule, target_matchers: ['=x'] },
        ],
      },
      want: [
        'inhibit_rules[0].source_matchers[1]: not a matcher: expected name=value, name!=value, name=~regex or name!~regex',
        'inhibit_rules[0].source_matchers[2]: invalid regex "(crit": Invalid regular expression: /^(?:(crit)$/u: Unterminated group',
        'inhibit_rules[1].target_matchers[0]: not a matcher: expected name=value, name!=value, name=~regex or name!~regex',
      ],
    },
    {
      name: 'inhibit rules: shape',
      raw: { inhibit_rules: [{ source_matchers: ['a="1"'], equal: ['host', '9lives'] }] },
      want: ['inhibit_rules[0].target_matchers: is required', 'inhibit_rules[0].equal[1]: must match ^[A-Za-z_][A-Za-z0-9_.\\-/]{0,127}$'],
    },
  ];
  for (const c of cases) {
    it(`reports ${c.name}`, () => {
      assert.deepEqual(problems(c.raw), c.want);
      // Invalid sections build nothing.
      const built = buildSilenceConfig(c.raw);
      assert.deepEqual([built.silences, built.windows, built.rules], [[], [], []]);
    });
  }
});
