import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Clock, DeliveryError, type HeraldEvent, type Logger, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState } from '@herald/sdk/testing';
import { Compile } from 'typebox/compile';
import { type FakeSns, startFakeSns } from '../../../test/fakes/sns.js';
import { deliveries, eventually, FakeClock, startHerald } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import sns, { SNS_LIMITS, subjectFor } from './index.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const templates = createTemplateEngine();

const event = (over: Partial<HeraldEvent> = {}): HeraldEvent => ({
  id: '01JSNSEVENT000000000000000',
  title: 'db-1 down',
  status: 'firing',
  severity: 'critical',
  key: 'db-1',
  labels: {},
  received_at: '2026-03-01T12:00:00.000Z',
  ...over,
});

function harness(fake: FakeSns, config: Record<string, unknown> = {}, clock: Clock = systemClock) {
  const instance = sns.create(
    filledConfig(sns, {
      topic_arn: fake.topics[0],
      access_key_id: fake.accessKeyId,
      secret_access_key: fake.secretAccessKey,
      url: fake.url,
      ...config,
    } as never),
    { name: 'topic', log: quiet, templates, clock },
  );
  return (n: Partial<Notification> = {}) =>
    instance.send(
      { id: '01JSNSDELIVERY000000000000', receiver: 'topic', people: [], event: event(), ...n },
      { http: loopbackHttpClient(), net: loopbackTcpClient(), state: memoryState(), log: quiet, clock, attempt: 1, signal: new AbortController().signal },
    );
}

describe('sns receiver', () => {
  it('publishes through Herald with a SigV4 signature the AWS signer recomputes; subject, message and attributes as documented', {
    timeout: 15_000,
  }, async (t) => {
    const fake = await startFakeSns();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - name: topic
    type: sns
    topic_arn: "${fake.topics[0]}"
    access_key_id: ${fake.accessKeyId}
    secret_access_key: "${fake.secretAccessKey}"
    url: "${fake.url}"
    attributes: {team: dba}
routes: [{receivers: [topic]}]
`,
    );
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 down',
        text: 'replica lag 30s',
        status: 'firing',
        severity: 'critical',
        key: 'db-1',
        source: 'grafana',
        labels: { host: 'db-1' },
      },
    });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 10_000, 'published');
    assert.deepEqual(fake.rejected, []);
    const [p] = fake.published;
    assert.equal(p?.params.Action, 'Publish');
    assert.equal(p?.params.Version, '2010-03-31');
    assert.equal(p?.params.TopicArn, fake.topics[0]);
    assert.equal(p?.params.Subject, '[CRITICAL] db-1 down');
    assert.equal(p?.params.Message, 'db-1 down\n\nreplica lag 30s\nhost: db-1');
    assert.equal(p?.params.MessageGroupId, undefined, 'no FIFO parameters on a standard topic');
    assert.deepEqual(p?.attributes, {
      severity: { type: 'String', value: 'critical' },
      status: { type: 'String', value: 'firing' },
      source: { type: 'String', value: 'grafana' },
      key: { type: 'String', value: 'db-1' },
      team: { type: 'String', value: 'dba' },
    });
    assert.match(String(p?.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${fake.accessKeyId}/\\d{8}/eu-central-1/sns/aws4_request, `));
    assert.match(String(p?.headers['content-type']), /^application\/x-www-form-urlencoded/);
    const [d] = await deliveries(h);
    assert.equal(d?.state, 'succeeded');
    const logs = h.logLines.join('\n');
    assert.ok(!logs.includes(fake.secretAccessKey), 'secret key never logged');
  });

  it('FIFO topics: MessageGroupId from the key, MessageDeduplicationId from the delivery id — a repeated publish is dropped by SNS', async (t) => {
    const fake = await startFakeSns();
    t.after(() => fake.close());
    const send = harness(fake, { topic_arn: fake.topics[1] });
    await send({ id: '01JSNSDELIVERYFIFO00000001', event: event({ key: 'disk full/db 1' }) });
    await send({ id: '01JSNSDELIVERYFIFO00000001', event: event({ key: 'disk full/db 1' }) });
    assert.deepEqual(fake.rejected, []);
    assert.equal(fake.published.length, 1);
    assert.equal(fake.duplicates, 1, 'the retry was de-duplicated by its id');
    const [p] = fake.published;
    assert.match(p?.params.MessageGroupId ?? '', /^sha256:[0-9a-f]{64}$/, 'a key with spaces is hashed into an accepted group id');
    assert.equal(p?.params.MessageDeduplicationId, '01JSNSDELIVERYFIFO00000001');
    await send({ id: '01JSNSDELIVERYFIFO00000002', event: event({ key: 'cpu:db-1' }), incident: { key: 'cpu:db-1' } });
    assert.equal(fake.published[1]?.params.MessageGroupId, 'cpu:db-1');
  });

  it('format json sends the notification as JSON; severity follows effectiveSeverity', async (t) => {
    const fake = await startFakeSns();
    t.after(() => fake.close());
    const send = harness(fake, { format: 'json' });
    await send({ event: event({ severity: undefined, data: { value: 97 } }), incident: { id: 'inc1', times_seen: 3 } });
    const body = JSON.parse(fake.published[0]?.params.Message ?? '{}');
    assert.deepEqual(
      { version: body.version, receiver: body.receiver, title: body.event.title, data: body.event.data, incident: body.incident },
      { version: 1, receiver: 'topic', title: 'db-1 down', data: { value: 97 }, incident: { id: 'inc1', times_seen: 3 } },
    );
    assert.equal(fake.published[0]?.attributes.severity?.value, 'error', 'firing without severity is error');
    assert.equal(fake.published[0]?.params.Subject, '[ERROR] db-1 down');
    await send({ event: event({ status: 'resolved' }) });
    assert.equal(fake.published[1]?.attributes.severity?.value, 'ok');
    assert.equal(fake.published[1]?.params.Subject, '[RESOLVED] db-1 down');
  });

  it('signs with the injected clock: a request signed at virtual time is refused by an endpoint living 20 minutes later', async (t) => {
    const fake = await startFakeSns();
    t.after(() => fake.close());
    const clock = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
    fake.now = () => clock.now();
    await harness(fake, {}, clock)();
    assert.equal(fake.published.length, 1);
    assert.equal(fake.published[0]?.headers['x-amz-date'], '20260301T120000Z');
    fake.now = () => clock.now() + 20 * 60_000;
    const err = await harness(fake, {}, clock)().catch((e: unknown) => e);
    assert.ok(err instanceof DeliveryError);
    assert.equal(err.reason, 'auth');
    assert.match(err.message, /SignatureDoesNotMatch \(Signature expired/);
  });

  it('a wrong secret is SignatureDoesNotMatch (auth, permanent) without leaking it; throttling is rate limited; 5xx retried; NotFound permanent', async (t) => {
    const fake = await startFakeSns();
    t.after(() => fake.close());
    const wrong = 'ThisIsNotTheSecretKeyAtAll000000000000000';
    const bad = await harness(fake, { secret_access_key: wrong })().catch((e: unknown) => e);
    assert.ok(bad instanceof DeliveryError);
    assert.equal(bad.reason, 'auth');
    assert.equal(bad.retryable, false);
    assert.match(bad.message, /HTTP 403: not authorized: SignatureDoesNotMatch/);
    assert.ok(!bad.message.includes(wrong) && !(bad.response ?? '').includes(wrong));

    fake.script = [{ status: 400, code: 'Throttling', message: 'Rate exceeded' }];
    const throttled = await harness(fake)().catch((e: unknown) => e);
    assert.ok(throttled instanceof DeliveryError);
    assert.equal(throttled.reason, 'rate_limited');
    assert.equal(throttled.retryAfterMs, 1000);
    assert.match(throttled.message, /Throttling \(Rate exceeded\)/);

    fake.script = [{ status: 500, code: 'InternalError', message: 'internal' }];
    const server = await harness(fake)().catch((e: unknown) => e);
    assert.ok(server instanceof DeliveryError && server.retryable && server.reason === 'server');

    const missing = await harness(fake, { topic_arn: 'arn:aws:sns:eu-central-1:123456789012:nope' })().catch((e: unknown) => e);
    assert.ok(missing instanceof DeliveryError);
    assert.equal(missing.retryable, false);
    assert.match(missing.message, /HTTP 404: NotFound \(Topic does not exist\)/);
  });

  it('temporary credentials send x-amz-security-token; subjects and messages are cut to what SNS accepts', async (t) => {
    const fake = await startFakeSns();
    t.after(() => fake.close());
    fake.sessionToken = 'FwoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN';
    const send = harness(fake, { session_token: fake.sessionToken });
    await send({ event: event({ title: `  Ärger\nim Lager — ${'x'.repeat(200)}`, text: 'ü'.repeat(200_000) }) });
    assert.deepEqual(fake.rejected, []);
    const p = fake.published[0];
    assert.equal(p?.headers['x-amz-security-token'], fake.sessionToken);
    assert.equal(p?.params.Subject?.length, SNS_LIMITS.subject);
    assert.match(p?.params.Subject ?? '', /^\[CRITICAL\] \?rger im Lager \? x+\.\.\.$/);
    const bytes = Buffer.byteLength(p?.params.Message ?? '');
    assert.ok(bytes <= SNS_LIMITS.messageBytes && bytes > SNS_LIMITS.messageBytes - 200, `message is ${bytes} bytes`);
    assert.ok(p?.params.Message?.endsWith('… (truncated)'));
    assert.equal(subjectFor('\n\t '), 'Herald notification');
  });

  it('refuses configs SNS would refuse', () => {
    const check = Compile(sns.config);
    const base = { topic_arn: 'arn:aws:sns:us-east-1:123456789012:alerts', access_key_id: 'AKIAIOSFODNN7EXAMPLE', secret_access_key: 's' };
    const bad: unknown[] = [
      {},
      { ...base, topic_arn: 'arn:aws:sqs:us-east-1:123456789012:alerts' },
      { ...base, topic_arn: 'alerts' },
      { ...base, region: 'eu-west-1' },
      { ...base, secret_access_key: undefined },
      { ...base, attributes: { 'AWS.trace': 'x' } },
      { ...base, attributes: { severity: 'x' } },
      { ...base, attributes: Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`a${i}`, 'v'])) },
      { ...base, format: 'xml' },
    ];
    // As the loader does: fill in the schema's defaults, then check the schema, then validate().
    const loads = (c: unknown) => {
      const filled = filledConfig(sns, c as never);
      return check.Check(filled) && (sns.validate?.(filled) ?? []).length === 0;
    };
    for (const c of bad) assert.ok(!loads(c), `accepted ${JSON.stringify(c)}`);
    assert.ok(loads(base));
  });
});
