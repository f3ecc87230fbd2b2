// One severity rule for every built-in receiver (effectiveSeverity in @herald/sdk):
// a firing event without severity is shown as an error, a resolved one as ok/success.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeraldEvent } from '@herald/sdk';
import { filledConfig } from '../../test/helpers/receiver-config.js';
import { alertTypeFor } from './datadog/index.js';
import { colourFor as discordColour } from './discord/message.js';
import { colourFor as mattermostColour } from './mattermost/message.js';
import { colourFor as teamsColour } from './msteams/message.js';
import { priorityFor as opsgeniePriority } from './opsgenie/index.js';
import { triggerSeverity } from './pagerduty/index.js';
import pushover, { priorityFor as pushoverPriority } from './pushover/index.js';
import { colourFor as slackColour } from './slack/message.js';
import { buildText } from './telegram/index.js';

const event = (e: Partial<HeraldEvent>): HeraldEvent => ({ id: '01J', title: 'x', status: 'info', labels: {}, received_at: '2026-12-04T12:00:00.000Z', ...e });

// Pushover's priorities are config with schema defaults: the mapping is checked with those.
const pushoverPriorities = filledConfig(pushover, { token: 't', user: 'u' }).priorities;

const mappings: [string, (e: HeraldEvent) => unknown][] = [
  ['datadog alert_type', alertTypeFor],
  ['discord colour', discordColour],
  ['mattermost colour', mattermostColour],
  ['msteams colour', teamsColour],
  ['opsgenie priority', opsgeniePriority],
  ['pagerduty payload.severity', triggerSeverity],
  ['pushover priority', (e) => pushoverPriority(e, pushoverPriorities)],
  ['slack colour', slackColour],
  ['telegram icon', (e) => [...buildText(e, 't', '')][0]],
];

// A mail "[Bamboo] PROJ-PLAN-123 failed": firing, no severity.
const bamboo = event({ title: '[Bamboo] PROJ-PLAN-123 failed', status: 'firing', source: 'smtp' });

describe('every receiver maps severity by effectiveSeverity', () => {
  for (const [name, map] of mappings) {
    it(`${name}: a firing event without severity is an error, not info`, () => {
      assert.deepEqual(map(bamboo), map(event({ status: 'firing', severity: 'error' })));
      assert.notDeepEqual(map(bamboo), map(event({ status: 'firing', severity: 'info' })));
    });
    if (name === 'pagerduty payload.severity') continue; // resolved events resolve: they carry no payload
    it(`${name}: a resolved event is shown as resolved whatever its severity`, () => {
      assert.deepEqual(map(event({ status: 'resolved', severity: 'critical' })), map(event({ status: 'resolved' })));
      assert.notDeepEqual(map(event({ status: 'resolved' })), map(event({ status: 'firing', severity: 'critical' })));
    });
  }

  it('the provider values', () => {
    assert.equal(alertTypeFor(bamboo), 'error');
    assert.equal(alertTypeFor(event({ status: 'resolved' })), 'success');
    assert.equal(alertTypeFor(event({ status: 'info' })), 'info');
    assert.equal(opsgeniePriority(bamboo), 'P2');
    assert.equal(triggerSeverity(bamboo), 'error');
    assert.equal(triggerSeverity(event({ status: 'info' })), 'info');
    assert.equal(slackColour(bamboo), '#E8590C');
    assert.equal(teamsColour(event({ status: 'resolved' })), 'Good');
  });
});

describe('group titles', () => {
  it('no receiver keeps its own status-prefix title: each default title comes from STATUS_TITLE_TEMPLATE', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const dir = new URL('.', import.meta.url).pathname;
    // The copied prefix template is what once titled a group "[FIRING] [FIRING:3] …".
    const copies = readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(join(dir, d.name)).map((f) => join(d.name, f)))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /\[FIRING\] \{% elsif/.test(readFileSync(join(dir, f), 'utf8')));
    assert.deepEqual(copies, []);
  });
});
