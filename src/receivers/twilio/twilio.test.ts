import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Logger, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState } from '@herald/sdk/testing';
import { Compile } from 'typebox/compile';
import { startFakeTwilio } from '../../../test/fakes/twilio.js';
import { deliveries, eventually, FakeClock, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import twilio, { TWILIO_LIMITS, twimlFor } from './index.js';

const templates = createTemplateEngine();
const FROM = '+15017122661';

function logger(lines: string[]): Logger {
  const log: Logger = {
    debug: (o, m) => void lines.push(JSON.stringify([o, m])),
    info: (o, m) => void lines.push(JSON.stringify([o, m])),
    warn: (o, m) => void lines.push(JSON.stringify([o, m])),
    error: (o, m) => void lines.push(JSON.stringify([o, m])),
    child: () => log,
  };
  return log;
}

const event = (over: Partial<HeraldEvent> = {}): HeraldEvent => ({
  id: '01JTWILIOEVENT000000000000',
  title: 'db-1 down',
  status: 'firing',
  severity: 'critical',
  key: 'db-1',
  labels: {},
  received_at: '2026-03-01T12:00:00.000Z',
  ...over,
});

function harness(config: Record<string, unknown>) {
  const lines: string[] = [];
  const instance = twilio.create(filledConfig(twilio, config as never), { name: 'sms', log: logger(lines), templates, clock: systemClock });
  const state = memoryState();
  const send = (n: Partial<Notification> & { event?: HeraldEvent } = {}) =>
    instance.send(
      { id: '01JTWILIODELIVERY000000000', receiver: 'sms', people: [], ...n, event: n.event ?? event() },
      {
        http: loopbackHttpClient(),
        net: loopbackTcpClient(),
        state,
        log: logger(lines),
        clock: systemClock,
        attempt: 1,
        signal: new AbortController().signal,
      },
    );
  return { send, state, lines };
}

describe('twilio receiver', () => {
  it('texts the configured numbers and the attached people once each: Basic auth, form body, To/From/Body', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    const { send } = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: FROM, to: ['+14155550100'], api_url: fake.url });
    const result = await send({
      event: event({ url: 'https://grafana.example/d/1' }),
      people: [
        { name: 'alice', contacts: { phone: '+4915112345678', email: 'a@example.com' } },
        { name: 'bob', contacts: { email: 'b@example.com' } },
        { name: 'ops', contacts: { phone: '+14155550100' } },
      ],
    });
    assert.deepEqual(fake.rejected, []);
    assert.deepEqual(
      fake.accepted.map((a) => a.form),
      [
        { To: '+14155550100', From: FROM, Body: '[CRITICAL] db-1 down\nhttps://grafana.example/d/1' },
        { To: '+4915112345678', From: FROM, Body: '[CRITICAL] db-1 down\nhttps://grafana.example/d/1' },
      ],
    );
    const [first] = fake.accepted;
    assert.equal(first?.path, `/2010-04-01/Accounts/${fake.accountSid}/Messages.json`);
    assert.equal(first?.headers.authorization, `Basic ${Buffer.from(`${fake.accountSid}:${fake.authToken}`).toString('base64')}`);
    assert.equal(first?.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.match(result?.response ?? '', new RegExp(`sms:\\+14155550100 ${fake.accepted[0]?.sid}; sms:\\+4915112345678 ${fake.accepted[1]?.sid}`));
  });

  it('severity comes from effectiveSeverity: no severity while firing reads ERROR, resolved reads RESOLVED', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    const { send } = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: FROM, to: ['+14155550100'], api_url: fake.url });
    await send({ event: event({ severity: undefined }) });
    await send({ event: event({ status: 'resolved', title: 'db-1 up' }) });
    await send({ event: event({ status: 'info', severity: undefined, title: 'deploy done' }) });
    assert.deepEqual(
      fake.accepted.map((a) => a.form.Body),
      ['[ERROR] db-1 down', '[RESOLVED] db-1 up', '[INFO] deploy done'],
    );
  });

  it('mode both: texts, then calls reading the title through TwiML <Say> (XML-escaped); a resolve is texted but nobody is called', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    const { send } = harness({
      account_sid: fake.accountSid,
      api_key_sid: fake.apiKeySid,
      api_key_secret: fake.apiKeySecret,
      from: FROM,
      to: ['+14155550100'],
      mode: 'both',
      voice: 'Polly.Joanna',
      language: 'en-US',
      api_url: fake.url,
    });
    await send({ event: event({ title: 'disk <95%> & "rising"' }) });
    assert.deepEqual(fake.rejected, []);
    assert.deepEqual(
      fake.accepted.map((a) => a.resource),
      ['Messages', 'Calls'],
    );
    const call = fake.accepted[1];
    assert.equal(call?.path, `/2010-04-01/Accounts/${fake.accountSid}/Calls.json`);
    assert.equal(call?.headers.authorization, `Basic ${Buffer.from(`${fake.apiKeySid}:${fake.apiKeySecret}`).toString('base64')}`, 'API key auth');
    assert.deepEqual(call?.form, {
      To: '+14155550100',
      From: FROM,
      Twiml:
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say voice="Polly.Joanna" language="en-US" loop="2">Critical alert from Herald. disk &lt;95%&gt; &amp; &quot;rising&quot;</Say></Response>',
    });
    await send({ event: event({ status: 'resolved', title: 'disk ok' }) });
    assert.deepEqual(
      fake.accepted.map((a) => a.resource),
      ['Messages', 'Calls', 'Messages'],
      'the resolve is only texted',
    );
  });

  it('a retry after a 5xx texts only those not yet reached; a refused number (21211) does not stop the others', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    fake.refuse.set('+15005550001', { status: 400, code: 21211, message: "The 'To' number +15005550001 is not a valid phone number." });
    const { send, state, lines } = harness({
      account_sid: fake.accountSid,
      auth_token: fake.authToken,
      from: FROM,
      to: ['+14155550100', '+15005550001', '+14155550102', '+14155550103'],
      api_url: fake.url,
    });
    // The first number is texted, the second refused for good, the third meets a 503.
    fake.refuse.set('+14155550102', { status: 503, code: 20500, message: 'Service Unavailable' });
    const err = await send().catch((e: unknown) => e);
    assert.ok(err instanceof DeliveryError && err.retryable, `a 503 is retried, got ${String(err)}`);
    assert.deepEqual(
      fake.accepted.map((a) => a.form.To),
      ['+14155550100'],
    );
    assert.ok(state.values.size === 1, 'progress is kept for the retry');
    fake.refuse.delete('+14155550102');
    const result = await send();
    assert.deepEqual(
      fake.accepted.map((a) => a.form.To),
      ['+14155550100', '+14155550102', '+14155550103'],
      'nobody texted twice, the refused number not tried again',
    );
    assert.equal(fake.rejected.filter((r) => r.to === '+15005550001').length, 1);
    assert.match(result?.response ?? '', /sms:\+15005550001 refused \(21211 invalid 'To' phone number/);
    assert.equal(state.values.size, 0, 'progress is dropped once the delivery is done');
    assert.match(lines.join('\n'), /sms to \+15005550001 refused: 21211/);
  });

  it('every recipient refused is a permanent failure with Twilio’s reason; no recipient at all is a config error', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    fake.refuse.set('+15005550009', { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' });
    const { send } = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: FROM, to: ['+15005550009'], api_url: fake.url });
    const err = await send().catch((e: unknown) => e);
    assert.ok(err instanceof DeliveryError);
    assert.equal(err.retryable, false);
    assert.match(err.message, /refused every recipient: sms:\+15005550009 refused \(21610 recipient has opted out/);

    const none = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: FROM, api_url: fake.url });
    const e2 = await none.send({ people: [{ name: 'bob', contacts: { email: 'b@example.com' } }] }).catch((e: unknown) => e);
    assert.ok(e2 instanceof DeliveryError);
    assert.equal(e2.reason, 'config');
    assert.match(e2.message, /no recipients/);
  });

  it('20429/429 is rate limited with Retry-After; a wrong token (20003) is an auth failure that never leaks the token; 21606 is permanent with Twilio’s text', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    fake.script = [{ status: 429, code: 20429, message: 'Too Many Requests', headers: { 'retry-after': '3' } }];
    const { send } = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: FROM, to: ['+14155550100'], api_url: fake.url });
    const limited = await send().catch((e: unknown) => e);
    assert.ok(limited instanceof DeliveryError);
    assert.equal(limited.reason, 'rate_limited');
    assert.equal(limited.retryAfterMs, 3000);
    assert.match(limited.message, /Twilio error 20429/);

    const wrongToken = 'ffffffffffffffffffffffffffffffff';
    const bad = harness({ account_sid: fake.accountSid, auth_token: wrongToken, from: FROM, to: ['+14155550100'], api_url: fake.url });
    const auth = await bad.send().catch((e: unknown) => e);
    assert.ok(auth instanceof DeliveryError);
    assert.equal(auth.reason, 'auth');
    assert.equal(auth.retryable, false);
    assert.match(auth.message, /Twilio error 20003 \(Authenticate\)/);
    assert.ok(!auth.message.includes(wrongToken) && !bad.lines.join('').includes(wrongToken));

    const wrongFrom = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: '+15550000000', to: ['+14155550100'], api_url: fake.url });
    const from = await wrongFrom.send().catch((e: unknown) => e);
    assert.ok(from instanceof DeliveryError);
    assert.equal(from.retryable, false);
    assert.match(from.message, /HTTP 400: Twilio error 21606/);
  });

  it('cuts the text to 1,600 characters and the TwiML to 4,000, never inside an entity', async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    const { send } = harness({ account_sid: fake.accountSid, auth_token: fake.authToken, from: FROM, to: ['+14155550100'], mode: 'both', api_url: fake.url });
    await send({ event: event({ title: '&'.repeat(5000) }) });
    assert.deepEqual(fake.rejected, []);
    assert.equal(fake.accepted[0]?.form.Body?.length, TWILIO_LIMITS.body);
    const twiml = fake.accepted[1]?.form.Twiml ?? '';
    assert.ok(twiml.length <= TWILIO_LIMITS.twiml && twiml.length > TWILIO_LIMITS.twiml - 10, `TwiML is ${twiml.length} characters`);
    assert.match(twiml, /(&amp;)+…<\/Say><\/Response>$/);
    assert.equal(twimlFor('hi'), '<?xml version="1.0" encoding="UTF-8"?><Response><Say loop="2">hi</Say></Response>');
  });

  it('refuses configs Twilio would refuse', () => {
    const check = Compile(twilio.config);
    const sid = `AC${'0'.repeat(32)}`;
    const bad: unknown[] = [
      { account_sid: sid, from: FROM },
      { account_sid: 'AC123', auth_token: 't', from: FROM },
      { account_sid: sid, auth_token: 't', api_key_sid: `SK${'0'.repeat(32)}`, api_key_secret: 's', from: FROM },
      { account_sid: sid, api_key_sid: `SK${'0'.repeat(32)}`, from: FROM },
      { account_sid: sid, auth_token: 't' },
      { account_sid: sid, auth_token: 't', mode: 'call', messaging_service_sid: `MG${'0'.repeat(32)}` },
      { account_sid: sid, auth_token: 't', from: '015112345678' },
      { account_sid: sid, auth_token: 't', from: FROM, to: ['+49 151 1234'] },
      { account_sid: sid, auth_token: 't', from: FROM, mode: 'fax' },
    ];
    // As the loader does: fill in the schema's defaults, then check the schema, then validate().
    const loads = (c: unknown) => {
      const filled = filledConfig(twilio, c as never);
      return check.Check(filled) && (twilio.validate?.(filled) ?? []).length === 0;
    };
    for (const c of bad) assert.ok(!loads(c), `accepted ${JSON.stringify(c)}`);
    const good = { account_sid: sid, auth_token: 't', messaging_service_sid: `MG${'0'.repeat(32)}` };
    assert.ok(loads(good));
  });
});

describe('twilio with on-call schedules', () => {
  it('a route with on_call texts only the person on duty, before and after the hand-off (the fake checks To)', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    // Monday 2026-03-30 08:30 Berlin (CEST) = 06:30Z: still alice's week; the 09:00 hand-off is 07:00Z.
    const clock = new FakeClock(Date.parse('2026-03-30T06:30:00Z'));
    const h = await startHerald(
      t,
      `
users:
  - {name: alice, contacts: {phone: "+4915112345678", email: alice@example.com}}
  - {name: bob, contacts: {phone: "+14155550123"}}
  - {name: carol, contacts: {phone: "+14155550124"}}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    rotation: {members: [alice, bob, carol], length: 1w, handoff: "09:00", start: "2026-03-23", handoff_day: monday}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: sms, type: twilio, account_sid: "${fake.accountSid}", auth_token: "${fake.authToken}", from: "${FROM}", api_url: "${fake.url}"}
routes:
  - {receivers: [sms], on_call: primary}
`,
      { clock },
    );
    const post = (title: string) =>
      h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title, status: 'firing', severity: 'critical' } });
    await post('before hand-off');
    await eventually(() => fake.accepted.length === 1, 10_000, 'first text');
    clock.advance(Date.parse('2026-03-30T07:00:00Z') - clock.now());
    await post('at hand-off');
    await eventually(async () => fake.accepted.length === 2 && (await deliveries(h)).every((d) => d.state === 'succeeded'), 10_000, 'second text');
    assert.deepEqual(fake.rejected, []);
    assert.deepEqual(
      fake.accepted.map((a) => [a.form.To, a.form.Body]),
      [
        ['+4915112345678', '[CRITICAL] before hand-off'],
        ['+14155550123', '[CRITICAL] at hand-off'],
      ],
    );
    assert.ok(!h.logLines.join('\n').includes(fake.authToken), 'auth token never logged');
  });

  it('through Herald’s durable queue, a 5xx halfway retries with only the rest; the stored progress is gone afterwards', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeTwilio();
    t.after(() => fake.close());
    fake.refuse.set('+14155550102', { status: 503, code: 20500, message: 'Service Unavailable' });
    const h = await startHerald(
      t,
      `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [200ms, 200ms]}
receivers:
  - {name: sms, type: twilio, account_sid: "${fake.accountSid}", auth_token: "${fake.authToken}", from: "${FROM}", to: ["+14155550101", "+14155550102"], api_url: "${fake.url}"}
routes: [{receivers: [sms]}]
`,
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'disk full', status: 'firing' } });
    // The receiver's durable state, read from the store Herald runs on (the SQLite file is held exclusively).
    const store = (h.herald as unknown as { store: { getReceiverState(r: string, k: string): Promise<string | undefined> } }).store;
    const progress = async () => store.getReceiverState('sms', `progress:${(await deliveries(h))[0]?.id}`);
    await eventually(() => fake.rejected.length === 1, 10_000, 'the 503');
    await eventually(async () => (await progress()) !== undefined, 5000, 'progress stored');
    assert.match((await progress()) ?? '', /"sms:\+14155550101":"SM[0-9a-f]{32}"/, 'the store holds who was reached');
    fake.refuse.delete('+14155550102');
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 10_000, 'delivered on retry');
    assert.deepEqual(
      fake.accepted.map((a) => a.form.To),
      ['+14155550101', '+14155550102'],
      'the first number was texted once, not again on the retry',
    );
    const [d] = await deliveries(h);
    assert.equal(d?.attempts, 2);
    assert.equal(await progress(), undefined, 'progress dropped once delivered');
  });
});
