import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeraldEvent } from '@herald/sdk';
import { parseMatcher } from './matcher.js';
import {
  activeSilences,
  alertLabels,
  type InhibitRule,
  inhibitedBy,
  type Labels,
  type MaintenanceWindow,
  nextWindowChange,
  type Silence,
  silencedBy,
  suppression,
  windowActiveAt,
} from './silence.js';

const t = (iso: string) => Date.parse(iso);
const m = (...texts: string[]) => texts.map(parseMatcher);

const silence = (id: string, matchers: string[], from: string, to: string): Silence => ({
  id,
  matchers: m(...matchers),
  starts_at: t(from),
  ends_at: t(to),
  author: 'alice',
  comment: `test ${id}`,
});

describe('silencedBy', () => {
  const DAY = ['2026-05-01T00:00:00Z', '2026-05-02T00:00:00Z'] as const;
  const NOON = '2026-05-01T12:00:00Z';
  const cases: Array<{ name: string; labels: Labels; silences: Silence[]; at?: string; want: string | undefined }> = [
    { name: 'equality matches', labels: { host: 'db-1' }, silences: [silence('s1', ['host="db-1"'], ...DAY)], want: 's1' },
    { name: 'equality does not match another value', labels: { host: 'db-2' }, silences: [silence('s1', ['host="db-1"'], ...DAY)], want: undefined },
    {
      name: 'all matchers must match',
      labels: { host: 'db-1', env: 'staging' },
      silences: [silence('s1', ['host="db-1"', 'env="prod"'], ...DAY)],
      want: undefined,
    },
    {
      name: 'all matchers match',
      labels: { host: 'db-1', env: 'prod' },
      silences: [silence('s1', ['host="db-1"', 'env="prod"'], ...DAY)],
      want: 's1',
    },
    { name: 'regex is anchored (match)', labels: { host: 'db-12' }, silences: [silence('s1', ['host=~"db-.*"'], ...DAY)], want: 's1' },
    { name: 'regex is anchored (no substring match)', labels: { host: 'old-db-12' }, silences: [silence('s1', ['host=~"db-.*"'], ...DAY)], want: undefined },
    { name: 'negative regex', labels: { host: 'web-1' }, silences: [silence('s1', ['host!~"db-.*"'], ...DAY)], want: 's1' },
    { name: 'missing label: != compares with ""', labels: {}, silences: [silence('s1', ['env!="prod"'], ...DAY)], want: 's1' },
    { name: 'missing label: = "" matches', labels: { host: 'a' }, silences: [silence('s1', ['host="a"', 'env=""'], ...DAY)], want: 's1' },
    { name: 'missing label: =~ that accepts ""', labels: {}, silences: [silence('s1', ['env=~"prod|"'], ...DAY)], want: 's1' },
    { name: 'missing label: = value does not match', labels: {}, silences: [silence('s1', ['env="prod"'], ...DAY)], want: undefined },
    { name: 'missing label: !~ ".+" matches', labels: {}, silences: [silence('s1', ['env!~".+"'], ...DAY)], want: 's1' },
    { name: 'labels.<name> is the same label', labels: { host: 'db-1' }, silences: [silence('s1', ['labels.host="db-1"'], ...DAY)], want: 's1' },
    { name: 'event field names read the same key', labels: { severity: 'critical' }, silences: [silence('s1', ['severity="critical"'], ...DAY)], want: 's1' },
    { name: 'start is inclusive', labels: { host: 'a' }, silences: [silence('s1', ['host="a"'], ...DAY)], at: DAY[0], want: 's1' },
    { name: 'end is exclusive', labels: { host: 'a' }, silences: [silence('s1', ['host="a"'], ...DAY)], at: DAY[1], want: undefined },
    { name: 'not yet started', labels: { host: 'a' }, silences: [silence('s1', ['host="a"'], ...DAY)], at: '2026-04-30T23:59:59.999Z', want: undefined },
    {
      name: 'several match: the one ending last wins',
      labels: { host: 'a' },
      silences: [
        silence('short', ['host="a"'], DAY[0], '2026-05-01T13:00:00Z'),
        silence('long', ['host=~".+"'], DAY[0], '2026-05-03T00:00:00Z'),
        silence('other', ['host="b"'], DAY[0], '2026-06-01T00:00:00Z'),
      ],
      want: 'long',
    },
    {
      name: 'several match and end together: the first listed',
      labels: { host: 'a' },
      silences: [silence('first', ['host="a"'], ...DAY), silence('second', ['host="a"'], ...DAY)],
      want: 'first',
    },
    { name: 'a silence without matchers matches nothing', labels: { host: 'a' }, silences: [{ ...silence('s1', [], ...DAY) }], want: undefined },
    { name: 'no silences', labels: { host: 'a' }, silences: [], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(silencedBy(c.labels, c.silences, t(c.at ?? NOON))?.id, c.want);
    });
  }

  it('activeSilences keeps those in force, in order', () => {
    const list = [
      silence('past', ['a="1"'], '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z'),
      silence('now-2', ['a="1"'], '2026-05-01T00:00:00Z', '2026-05-01T12:00:00.001Z'),
      silence('future', ['a="1"'], '2026-05-01T12:00:00.001Z', '2026-05-02T00:00:00Z'),
      silence('now-1', ['a="1"'], '2026-04-01T00:00:00Z', '2026-06-01T00:00:00Z'),
    ];
    assert.deepEqual(
      activeSilences(list, t(NOON)).map((s) => s.id),
      ['now-2', 'now-1'],
    );
  });
});

describe('inhibitedBy', () => {
  const datacenterDown: InhibitRule = {
    name: 'datacenter-down',
    source_matchers: m('alertname="DatacenterDown"'),
    target_matchers: m('alertname=~"HostDown|DiskFull"'),
    equal: ['datacenter'],
  };
  // Two-sided: a critical alert mutes warnings and criticals on the same host.
  const criticalMutesHost: InhibitRule = {
    name: 'critical-mutes-host',
    source_matchers: m('severity="critical"'),
    target_matchers: m('severity=~"critical|warning"'),
    equal: ['host'],
  };
  const dcDown = { labels: { alertname: 'DatacenterDown', datacenter: 'fra1' } };
  const cases: Array<{
    name: string;
    target: Labels;
    firing: Array<{ labels: Labels }>;
    rules: InhibitRule[];
    want: { rule: string; source: number } | undefined;
  }> = [
    {
      name: 'source with the same equal label mutes the target',
      target: { alertname: 'HostDown', datacenter: 'fra1', host: 'web-1' },
      firing: [{ labels: { alertname: 'HostDown', datacenter: 'fra1', host: 'web-2' } }, dcDown],
      rules: [datacenterDown],
      want: { rule: 'datacenter-down', source: 1 },
    },
    {
      name: 'a different equal label value does not',
      target: { alertname: 'HostDown', datacenter: 'ams1' },
      firing: [dcDown],
      rules: [datacenterDown],
      want: undefined,
    },
    {
      name: 'equal label missing on both counts as equal',
      target: { alertname: 'DiskFull' },
      firing: [{ labels: { alertname: 'DatacenterDown' } }],
      rules: [datacenterDown],
      want: { rule: 'datacenter-down', source: 0 },
    },
    {
      name: 'equal label empty on one side and missing on the other counts as equal',
      target: { alertname: 'DiskFull' },
      firing: [{ labels: { alertname: 'DatacenterDown', datacenter: '' } }],
      rules: [datacenterDown],
      want: { rule: 'datacenter-down', source: 0 },
    },
    {
      name: 'equal label missing on the target only does not',
      target: { alertname: 'DiskFull' },
      firing: [dcDown],
      rules: [datacenterDown],
      want: undefined,
    },
    {
      name: 'equal label missing on the source only does not',
      target: { alertname: 'DiskFull', datacenter: 'fra1' },
      firing: [{ labels: { alertname: 'DatacenterDown' } }],
      rules: [datacenterDown],
      want: undefined,
    },
    {
      name: 'target not matching the target matchers is not muted',
      target: { alertname: 'CertExpiring', datacenter: 'fra1' },
      firing: [dcDown],
      rules: [datacenterDown],
      want: undefined,
    },
    {
      name: 'no firing alert matches the source matchers',
      target: { alertname: 'HostDown', datacenter: 'fra1' },
      firing: [{ labels: { alertname: 'DatacenterDegraded', datacenter: 'fra1' } }],
      rules: [datacenterDown],
      want: undefined,
    },
    {
      name: 'labels.<name> in equal names the same label',
      target: { alertname: 'HostDown', datacenter: 'fra1' },
      firing: [dcDown],
      rules: [{ ...datacenterDown, equal: ['labels.datacenter'] }],
      want: { rule: 'datacenter-down', source: 0 },
    },
    {
      name: 'empty equal: any matching source mutes',
      target: { alertname: 'HostDown', datacenter: 'ams1' },
      firing: [dcDown],
      rules: [{ ...datacenterDown, equal: [] }],
      want: { rule: 'datacenter-down', source: 0 },
    },
    {
      name: 'an alert matching both sides does not inhibit itself',
      target: { severity: 'critical', host: 'db-1' },
      firing: [{ labels: { severity: 'critical', host: 'db-1' } }],
      rules: [criticalMutesHost],
      want: undefined,
    },
    {
      name: 'two-sided: other alerts matching both sides are not sources either (Alertmanager)',
      target: { severity: 'critical', host: 'db-1', alertname: 'DiskFull' },
      firing: [{ labels: { severity: 'critical', host: 'db-1', alertname: 'HostDown' } }],
      rules: [criticalMutesHost],
      want: undefined,
    },
    {
      name: 'two-sided rule still mutes a target that matches only the target side',
      target: { severity: 'warning', host: 'db-1' },
      firing: [{ labels: { severity: 'critical', host: 'db-1' } }],
      rules: [criticalMutesHost],
      want: { rule: 'critical-mutes-host', source: 0 },
    },
    {
      name: 'two-sided target is muted by a source matching only the source side',
      target: { severity: 'critical', host: 'db-1', alertname: 'DiskFull' },
      firing: [{ labels: { severity: 'critical', host: 'db-1' } }, { labels: { severity: 'critical', host: 'db-1', tier: 'x' } }],
      rules: [{ ...criticalMutesHost, target_matchers: m('alertname="DiskFull"') }],
      want: { rule: 'critical-mutes-host', source: 0 },
    },
    {
      name: 'the first rule that mutes wins',
      target: { alertname: 'HostDown', datacenter: 'fra1', severity: 'warning', host: 'db-1' },
      firing: [{ labels: { severity: 'critical', host: 'db-1' } }, dcDown],
      rules: [datacenterDown, criticalMutesHost],
      want: { rule: 'datacenter-down', source: 1 },
    },
    { name: 'nothing firing', target: { alertname: 'HostDown' }, firing: [], rules: [datacenterDown], want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = inhibitedBy(c.target, c.firing, c.rules);
      assert.deepEqual(got && { rule: got.rule.name, source: c.firing.indexOf(got.source) }, c.want);
    });
  }
});

/* Saturday 22:00 → Sunday 02:00, Europe/Berlin. DST: 2026-03-29 02:00 CET → 03:00 CEST; 2026-10-25 03:00 CEST → 02:00 CET. */
const saturdayNight: MaintenanceWindow = {
  name: 'saturday-night',
  matchers: m('env="prod"'),
  time_zone: 'Europe/Berlin',
  weekly: [{ days: ['saturday'], start: '22:00', end: '02:00' }],
  comment: 'weekly patching',
};
const window = (weekly: MaintenanceWindow['weekly'], time_zone = 'Europe/Berlin'): MaintenanceWindow => ({ ...saturdayNight, weekly, time_zone });

describe('windowActiveAt', () => {
  const splitSaturday = window([
    { days: ['saturday'], start: '22:00', end: '24:00' },
    { days: ['sunday'], start: '00:00', end: '02:00' },
  ]);
  const inGap = window([{ days: ['sunday'], start: '02:15', end: '02:45' }]);
  const cases: Array<{ name: string; window?: MaintenanceWindow; at: string; want: boolean }> = [
    // An ordinary week (CET).
    { name: 'Sat 21:59:59.999 CET: not yet', at: '2026-03-21T20:59:59.999Z', want: false },
    { name: 'Sat 22:00 CET: start is inclusive', at: '2026-03-21T21:00:00Z', want: true },
    { name: 'Sun 00:00 CET: across midnight', at: '2026-03-21T23:00:00Z', want: true },
    { name: 'Sun 01:59:59.999 CET', at: '2026-03-22T00:59:59.999Z', want: true },
    { name: 'Sun 02:00 CET: end is exclusive', at: '2026-03-22T01:00:00Z', want: false },
    { name: 'Fri 22:00 CET: another weekday', at: '2026-03-20T21:00:00Z', want: false },
    { name: 'Sun 22:00 CET: another weekday', at: '2026-03-22T21:00:00Z', want: false },
    // Clocks go forward on Sunday 2026-03-29 at 02:00 CET: the window ends at the change (4 real hours).
    { name: 'spring: Sat 22:00 CET start', at: '2026-03-28T21:00:00Z', want: true },
    { name: 'spring: Sun 01:59:59.999 CET', at: '2026-03-29T00:59:59.999Z', want: true },
    { name: 'spring: Sun 03:00 CEST (02:00 skipped) is the end', at: '2026-03-29T01:00:00Z', want: false },
    { name: 'spring: next Sat 21:59:59.999 CEST', at: '2026-04-04T19:59:59.999Z', want: false },
    { name: 'spring: next Sat 22:00 CEST', at: '2026-04-04T20:00:00Z', want: true },
    { name: 'spring: next Sun 02:00 CEST is the end', at: '2026-04-05T00:00:00Z', want: false },
    // Clocks go back on Sunday 2026-10-25 at 03:00 CEST: the window ends at the first 02:00 (CEST), 4 real hours.
    { name: 'autumn: Sat 21:59:59.999 CEST', at: '2026-10-24T19:59:59.999Z', want: false },
    { name: 'autumn: Sat 22:00 CEST start', at: '2026-10-24T20:00:00Z', want: true },
    { name: 'autumn: Sun 01:59:59.999 CEST', at: '2026-10-24T23:59:59.999Z', want: true },
    { name: 'autumn: Sun 02:00 CEST (first) is the end', at: '2026-10-25T00:00:00Z', want: false },
    { name: 'autumn: Sun 02:30 CET (repeated hour) stays closed', at: '2026-10-25T01:30:00Z', want: false },
    { name: 'autumn: next Sat 22:00 CET', at: '2026-10-31T21:00:00Z', want: true },
    { name: 'autumn: next Sun 02:00 CET is the end', at: '2026-11-01T01:00:00Z', want: false },
    // Slots as written on two days join at midnight.
    { name: 'split slots: Sat 23:59:59.999 CET', window: splitSaturday, at: '2026-03-21T22:59:59.999Z', want: true },
    { name: 'split slots: Sun 00:00 CET', window: splitSaturday, at: '2026-03-21T23:00:00Z', want: true },
    { name: 'split slots: Sun 02:00 CET', window: splitSaturday, at: '2026-03-22T01:00:00Z', want: false },
    // A slot wholly inside the skipped hour never opens that day; the week after it does.
    { name: 'slot inside the spring gap: closed', window: inGap, at: '2026-03-29T01:00:00Z', want: false },
    { name: 'same slot a week later: open', window: inGap, at: '2026-04-05T00:15:00Z', want: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(windowActiveAt(c.window ?? saturdayNight, t(c.at)), c.want);
    });
  }
});

describe('nextWindowChange', () => {
  const always = window([{ days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'], start: '00:00', end: '24:00' }]);
  const splitSaturday = window([
    { days: ['saturday'], start: '22:00', end: '24:00' },
    { days: ['sunday'], start: '00:00', end: '02:00' },
  ]);
  const inGap = window([{ days: ['sunday'], start: '02:15', end: '02:45' }]);
  const officeHours = window([{ days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], start: '09:00', end: '17:00' }], 'America/New_York');
  const cases: Array<{ name: string; window?: MaintenanceWindow; at: string; want: string | number }> = [
    { name: 'closed: the next start', at: '2026-03-25T10:00:00Z', want: '2026-03-28T21:00:00.000Z' },
    { name: 'at the start: the end (spring change, 02:00 skipped)', at: '2026-03-28T21:00:00Z', want: '2026-03-29T01:00:00.000Z' },
    { name: 'inside: the end', at: '2026-03-29T00:59:59.999Z', want: '2026-03-29T01:00:00.000Z' },
    { name: 'at the end: next Saturday 22:00 CEST', at: '2026-03-29T01:00:00Z', want: '2026-04-04T20:00:00.000Z' },
    { name: 'autumn start: ends at the first 02:00', at: '2026-10-24T20:00:00Z', want: '2026-10-25T00:00:00.000Z' },
    { name: 'autumn end: next Saturday 22:00 CET', at: '2026-10-25T00:00:00Z', want: '2026-10-31T21:00:00.000Z' },
    { name: 'slots touching at midnight are one span', window: splitSaturday, at: '2026-03-21T21:30:00Z', want: '2026-03-22T01:00:00.000Z' },
    { name: 'an empty slot in the gap is skipped', window: inGap, at: '2026-03-28T12:00:00Z', want: '2026-04-05T00:15:00.000Z' },
    { name: 'open around the clock: never', window: always, at: '2026-03-29T01:00:00Z', want: Number.POSITIVE_INFINITY },
    {
      name: 'New York: Friday 17:00 EST → Monday 09:00 EDT (DST 2026-03-08)',
      window: officeHours,
      at: '2026-03-06T22:00:00Z',
      want: '2026-03-09T13:00:00.000Z',
    },
    { name: 'New York: Monday 09:00 EDT → 17:00 EDT', window: officeHours, at: '2026-03-09T13:00:00Z', want: '2026-03-09T21:00:00.000Z' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = nextWindowChange(c.window ?? saturdayNight, t(c.at));
      assert.equal(Number.isFinite(got) ? new Date(got).toISOString() : got, c.want);
    });
  }

  it('is where windowActiveAt flips, across a year of Saturday nights in Berlin', () => {
    let at = t('2026-01-01T00:00:00Z');
    const end = t('2027-01-01T00:00:00Z');
    let changes = 0;
    for (;;) {
      const next = nextWindowChange(saturdayNight, at);
      if (next >= end) break;
      assert.ok(next > at);
      assert.equal(windowActiveAt(saturdayNight, next - 1), windowActiveAt(saturdayNight, at), `no flip before ${new Date(next).toISOString()}`);
      assert.notEqual(windowActiveAt(saturdayNight, next), windowActiveAt(saturdayNight, at), `flip at ${new Date(next).toISOString()}`);
      at = next;
      changes++;
    }
    assert.equal(changes, 104); // 52 Saturdays in 2026 (the first on Jan 3), each open and close.
  });
});

describe('suppression', () => {
  const AT = '2026-03-28T22:00:00Z'; // Saturday 23:00 CET: saturdayNight is open until 2026-03-29T01:00Z.
  const dbSilence = silence('sil-db', ['host=~"db-.*"'], '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z');
  const rule: InhibitRule = { source_matchers: m('alertname="DatacenterDown"'), target_matchers: m('alertname="HostDown"'), equal: ['datacenter'] };
  const firing = [{ labels: { alertname: 'DatacenterDown', datacenter: 'fra1' } }];
  const inputs = { silences: [dbSilence], windows: [saturdayNight], firing, rules: [{ ...rule, name: 'dc-down' }] };
  const cases: Array<{ name: string; labels: Labels; inputs?: Parameters<typeof suppression>[1]; at?: string; want: ReturnType<typeof suppression> }> = [
    {
      name: 'a silence wins over a window and an inhibition',
      labels: { host: 'db-1', env: 'prod', alertname: 'HostDown', datacenter: 'fra1' },
      want: { kind: 'silenced', by: 'sil-db', until: t('2026-03-30T00:00:00Z') },
    },
    {
      name: 'an open window wins over an inhibition',
      labels: { host: 'web-1', env: 'prod', alertname: 'HostDown', datacenter: 'fra1' },
      want: { kind: 'maintenance', by: 'saturday-night', until: t('2026-03-29T01:00:00Z') },
    },
    {
      name: 'a closed window does not suppress',
      labels: { host: 'web-1', env: 'prod' },
      at: '2026-03-29T01:00:00Z',
      want: undefined,
    },
    {
      name: 'inhibited: by the rule name, with the source labels',
      labels: { host: 'web-1', env: 'staging', alertname: 'HostDown', datacenter: 'fra1' },
      want: { kind: 'inhibited', by: 'dc-down', source: { alertname: 'DatacenterDown', datacenter: 'fra1' } },
    },
    {
      name: 'an unnamed rule is named by its index',
      labels: { alertname: 'HostDown', datacenter: 'fra1' },
      inputs: { firing, rules: [{ ...rule, target_matchers: m('alertname="Nothing"') }, rule] },
      want: { kind: 'inhibited', by: 'inhibit_rules[1]', source: { alertname: 'DatacenterDown', datacenter: 'fra1' } },
    },
    {
      name: 'of two open windows, the one closing last',
      labels: { env: 'prod' },
      inputs: { windows: [saturdayNight, { ...window([{ days: ['saturday'], start: '20:00', end: '03:00' }]), name: 'long' }] },
      at: '2026-03-21T22:00:00Z',
      want: { kind: 'maintenance', by: 'long', until: t('2026-03-22T02:00:00Z') },
    },
    {
      name: 'a whole-weekend window lasts until Monday 00:00 (CEST after the change)',
      labels: { env: 'prod' },
      inputs: { windows: [{ ...window([{ days: ['saturday', 'sunday'], start: '00:00', end: '24:00' }]), name: 'weekend' }] },
      want: { kind: 'maintenance', by: 'weekend', until: t('2026-03-29T22:00:00Z') },
    },
    {
      name: 'a window open around the clock has no end',
      labels: { env: 'prod' },
      inputs: {
        windows: [
          {
            ...window([{ days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'], start: '00:00', end: '24:00' }]),
            name: 'freeze',
          },
        ],
      },
      want: { kind: 'maintenance', by: 'freeze' },
    },
    { name: 'nothing applies', labels: { host: 'web-1', env: 'staging', alertname: 'HostDown', datacenter: 'ams1' }, want: undefined },
    { name: 'no inputs', labels: { host: 'db-1' }, inputs: {}, want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(suppression(c.labels, c.inputs ?? inputs, t(c.at ?? AT)), c.want);
    });
  }

  it('alertLabels: event fields under their names, a same-named label under labels.<name>', () => {
    const event: HeraldEvent = {
      id: 'evt_1',
      title: 'Disk full',
      source: 'prometheus',
      status: 'firing',
      severity: 'critical',
      labels: { host: 'db-1', severity: 'page' },
      received_at: '2026-03-28T22:00:00Z',
    };
    const labels = alertLabels(event);
    assert.deepEqual(labels, { host: 'db-1', 'labels.severity': 'page', severity: 'critical', title: 'Disk full', source: 'prometheus', status: 'firing' });
    assert.equal(
      silencedBy(labels, [silence('s', ['severity="critical"', 'status="firing"'], '2026-03-28T00:00:00Z', '2026-03-29T00:00:00Z')], t(AT))?.id,
      's',
    );
  });

  // The flat set once let a label stand in for an unset field (`action="deploy"` matched a label
  // `action`, where a route reads the absent field as "") and made `labels.severity` read the field.
  // Routes were right (docs: a field name is the field, `labels.<x>` the label): silences now agree.
  it('a label named like a field neither hides nor stands in for it, as in a route', () => {
    const event: HeraldEvent = {
      id: 'evt_2',
      title: 'Deploy',
      status: 'firing',
      severity: 'critical',
      labels: { action: 'deploy', severity: 'page' },
      received_at: '2026-03-28T22:00:00Z',
    };
    const labels = alertLabels(event);
    const day = ['2026-03-28T00:00:00Z', '2026-03-29T00:00:00Z'] as const;
    const by = (matcher: string) => silencedBy(labels, [silence('s', [matcher], ...day)], t(AT))?.id;
    assert.equal(by('action="deploy"'), undefined);
    assert.equal(by('labels.action="deploy"'), 's');
    assert.equal(by('severity="critical"'), 's');
    assert.equal(by('labels.severity="page"'), 's');
    assert.equal(by('labels.severity="critical"'), undefined);
  });
});
