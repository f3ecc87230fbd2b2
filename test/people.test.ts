import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeSlack } from './fakes/slack.js';
import { startSmtp } from './fakes/smtp.js';
import { deliveries, eventually, FakeClock, startHerald } from './helpers/harness.js';

const people = `
users:
  - {name: alice, contacts: {email: alice@example.com, slack: U0ALICE01}}
  - {name: bob, contacts: {email: bob@example.com, slack: U0BOB0001}}
  - {name: carol, contacts: {email: carol@example.com}}
teams:
  - {name: dba, members: [carol]}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    rotation: {members: [alice, bob], length: 1w, handoff: "09:00", start: "2026-03-23", handoff_day: monday}
`;

describe('people on routes', () => {
  it('a route with on_call emails only the person on duty, across the DST hand-off at 09:00 local', async (t) => {
    const box = await startSmtp();
    t.after(() => box.close());
    // Monday 2026-03-30 08:30 Berlin (CEST, UTC+2) = 06:30Z: still alice's week (it began 2026-03-23 09:00 CET).
    const clock = new FakeClock(Date.parse('2026-03-30T06:30:00Z'));
    const h = await startHerald(
      t,
      `${people}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: mail, type: email, host: 127.0.0.1, port: ${box.port}, tls: none, from: herald@example.com}
routes:
  - {receivers: [mail], on_call: primary}
`,
      { clock },
    );
    const post = (title: string) => h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title, status: 'firing' } });
    await post('before hand-off');
    // 09:00 local on the first Monday after the switch to summer time is 07:00Z.
    clock.advance(Date.parse('2026-03-30T07:00:00Z') - clock.now());
    await post('at hand-off');
    await eventually(() => box.mails.length === 2, 10_000, 'two mails');
    const byTitle = new Map(box.mails.map((m) => [m.parsed.subject ?? '', m.to]));
    assert.deepEqual(byTitle.get('[FIRING] before hand-off'), ['alice@example.com']);
    assert.deepEqual(byTitle.get('[FIRING] at hand-off'), ['bob@example.com']);
  });

  it('users and teams add recipients; Slack mentions attached people with a member id; config errors name the path', async (t) => {
    const box = await startSmtp();
    t.after(() => box.close());
    const slack = await startFakeSlack();
    t.after(() => slack.close());
    slack.minIntervalMs = 0;
    const h = await startHerald(
      t,
      `${people}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: mail, type: email, host: 127.0.0.1, port: ${box.port}, tls: none, from: herald@example.com, to: [ops@example.com]}
  - {name: chat, type: slack, url: "${slack.url}${slack.webhookPath}"}
routes:
  - {match: ['severity="critical"'], receivers: [mail, chat], users: [bob], teams: [dba], continue: true}
  - {receivers: [chat], users: [alice]}
`,
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db down', severity: 'critical', text: 'primary gone' } });
    await eventually(
      async () => box.mails.length === 1 && slack.accepted.length === 1 && (await deliveries(h)).every((d) => d.state === 'succeeded'),
      10_000,
      'sent',
    );
    assert.deepEqual(box.mails[0]?.to.sort(), ['bob@example.com', 'carol@example.com', 'ops@example.com']);
    const blocks = JSON.stringify(slack.accepted[0]?.body);
    assert.match(blocks, /primary gone\\ncc <@U0BOB0001> <@U0ALICE01>/, 'both routes that name chat contribute their people');

    await assert.rejects(
      startHerald(t, `${people}\nreceivers: [{name: c, type: log}]\nroutes: [{receivers: [c], users: [zed], on_call: nope}]\n`),
      /routes\[0\]\.users\[0\]: no user named "zed"[\s\S]*routes\[0\]\.on_call/,
    );
  });
});
