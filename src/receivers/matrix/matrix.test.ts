import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryError, type HeraldEvent, type Notification, systemClock } from '@herald/sdk';
import { loopbackHttpClient, loopbackTcpClient, memoryState, receiverConformance } from '@herald/sdk/testing';
import { startFakeMatrix } from '../../../test/fakes/matrix.js';
import { deliveries, eventually, registry, startHerald, tempDir } from '../../../test/helpers/harness.js';
import { filledConfig } from '../../../test/helpers/receiver-config.js';
import { ConfigError, parseConfig } from '../../config/load.js';
import { createTemplateEngine } from '../../templates/liquid-engine.js';
import matrix from './index.js';

const templates = createTemplateEngine();
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

receiverConformance(matrix, {
  templates,
  okBody: '{"event_id":"$YUwRidLecu:example.com"}',
  config: (base) =>
    filledConfig(matrix, { homeserver: base, access_token: 'syt_conformance_SecretToken_0123', room_id: '!room:example.org', max_per_second: 50 }),
  secrets: ['syt_conformance_SecretToken_0123'],
  invalidConfigs: [
    {},
    { homeserver: 'https://m.example', access_token: 't' },
    { homeserver: 'https://m.example', access_token: 't', room_id: '#alerts:example.org' },
    { homeserver: 'ftp://m.example', access_token: 't', room_id: '!r:example.org' },
    { homeserver: 'https://m.example', access_token: '', room_id: '!r:example.org' },
    { homeserver: 'https://m.example', access_token: 't', room_id: '!r:example.org', msgtype: 'm.image' },
  ],
});

const yaml = (homeserver: string, token: string, room: string, extra = '') => `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [50ms, 50ms, 50ms]}
receivers: [{name: chat, type: matrix, homeserver: "${homeserver}", access_token: "${token}", room_id: "${room}", max_per_second: 50${extra}}]
routes: [{receivers: [chat]}]
`;

describe('matrix receiver', () => {
  it('PUTs an m.notice with plain and escaped HTML bodies, empty m.mentions, and a txnId from the delivery id', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.token, fake.roomId));
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'db-1 <b>down</b> @room',
        text: 'ping "failed" & <script>x</script>',
        status: 'firing',
        severity: 'critical',
        key: 'db-1',
        labels: { env: 'prod' },
        url: 'https://grafana.example/d/1?a=1&b=2',
      },
    });
    await eventually(() => fake.events.length === 1, 5000, `sent ${JSON.stringify(fake.rejected)}`);
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'recorded');
    const [req] = fake.requests;
    const delivery = (await deliveries(h))[0];
    assert.equal(req?.method, 'PUT');
    assert.equal(req?.path, `/_matrix/client/v3/rooms/${encodeURIComponent(fake.roomId)}/send/m.room.message/herald.${delivery?.id}`);
    assert.equal(req?.headers.authorization, `Bearer ${fake.token}`);
    assert.equal(req?.headers['content-type'], 'application/json');
    assert.deepEqual(req?.body, {
      msgtype: 'm.notice',
      body: '🔴 [FIRING] db-1 <b>down</b> @room\n\nping "failed" & <script>x</script>\n\nenv: prod\n\nFIRING · critical · key: db-1\n\nOpen: https://grafana.example/d/1?a=1&b=2',
      format: 'org.matrix.custom.html',
      formatted_body:
        '🔴 <b>[FIRING] db-1 &lt;b&gt;down&lt;/b&gt; @room</b><br><br>ping &quot;failed&quot; &amp; &lt;script&gt;x&lt;/script&gt;<br><br><b>env</b>: prod<br><br><i>FIRING · critical · key: db-1</i><br><br><a href="https://grafana.example/d/1?a=1&amp;b=2">Open</a>',
      'm.mentions': {},
    });
  });

  it('mentions the people a route attaches by their matrix user ID (pill + m.mentions.user_ids); people without one are not mentioned', {
    timeout: 20_000,
  }, async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    const h = await startHerald(
      t,
      `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
users:
  - {name: alice, contacts: {matrix: "@alice:example.org"}}
  - {name: carol, contacts: {email: carol@example.com}}
receivers: [{name: chat, type: matrix, homeserver: "${fake.url}", access_token: "${fake.token}", room_id: "${fake.roomId}", max_per_second: 50}]
routes: [{receivers: [chat], users: [alice, carol]}]
`,
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 down', status: 'firing', key: 'db-1' } });
    await eventually(() => fake.events.length === 1, 5000, `sent ${JSON.stringify(fake.rejected)}`);
    const content = fake.events[0]?.content ?? {};
    assert.deepEqual(content['m.mentions'], { user_ids: ['@alice:example.org'] });
    assert.match(String(content.body), /\n\ncc @alice:example\.org$/);
    assert.match(String(content.formatted_body), /<br><br>cc <a href="https:\/\/matrix\.to\/#\/@alice:example\.org">@alice:example\.org<\/a>$/);
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.events.length === 2, 5000, 'edit sent');
    const edit = fake.events[1]?.content ?? {};
    assert.deepEqual(edit['m.mentions'], {}, 'the edit pings nobody again');
    assert.deepEqual((edit['m.new_content'] as Record<string, unknown> | undefined)?.['m.mentions'], { user_ids: ['@alice:example.org'] });
  });

  it('refuses a matrix contact that is not a user ID when the config loads, naming the user and the form', () => {
    const yaml = `users:
  - {name: alice, contacts: {matrix: "@alice:example.org"}}
  - {name: bob, contacts: {matrix: "bob"}}
receivers: [{name: chat, type: matrix, homeserver: "https://matrix.example.org", access_token: "syt_x", room_id: "!room:example.org"}]
routes: [{receivers: [chat], users: [alice, bob]}]
`;
    assert.throws(
      () => parseConfig(yaml, registry(), {}),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(
          err.issues.map((i) => `${i.path}: ${i.message}`),
          ['users[1].contacts.matrix: must be a Matrix user ID (@localpart:server), e.g. @alice:example.org'],
        );
        return true;
      },
    );
  });

  it('a retry after a lost answer reuses the txnId, so the room gets one message, not two', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    fake.loseAnswers = 1;
    const h = await startHerald(t, yaml(fake.url, fake.token, fake.roomId));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 down', status: 'firing', key: 'db-1' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'delivered after a retry');
    assert.equal((await deliveries(h))[0]?.attempts, 2);
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0]?.txnId, fake.requests[1]?.txnId);
    assert.equal(fake.events.length, 1, 'the homeserver stored one event');
  });

  it('a resolve edits the message its trigger posted (m.replace + m.new_content), across a restart', { timeout: 30_000 }, async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    const dir = tempDir(t);
    const first = await startHerald(t, yaml(fake.url, fake.token, fake.roomId), { dir });
    await first.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: { title: 'db-1 down', status: 'firing', severity: 'error', key: 'db-1' },
    });
    await eventually(async () => (await deliveries(first))[0]?.state === 'succeeded', 5000, 'trigger posted');
    await first.stop();
    const second = await startHerald(t, yaml(fake.url, fake.token, fake.roomId), { dir });
    await second.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.events.length === 2, 5000, `edit sent ${JSON.stringify(fake.rejected)}`);
    const [original, edit] = fake.events;
    assert.deepEqual(edit?.content['m.relates_to'], { rel_type: 'm.replace', event_id: original?.event_id });
    const shown = original?.shown as Record<string, unknown>;
    assert.match(String(shown.body), /^✅ \[RESOLVED\] db-1 up/);
    assert.match(String(edit?.content.body), /^\* ✅ \[RESOLVED\] db-1 up/);
    assert.deepEqual(edit?.content['m.mentions'], {});
    assert.deepEqual((edit?.content['m.new_content'] as Record<string, unknown> | undefined)?.['m.mentions'], {});
    // The link is used up: another resolve of the key, and one never posted, post new messages.
    await second.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up again', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.events.length === 3, 5000, 'posted');
    assert.equal(fake.events[2]?.content['m.relates_to'], undefined);
  });

  it('keeps messages and their edits under the 65,536-byte event limit', async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    const instance = matrix.create(filledConfig(matrix, { homeserver: fake.url, access_token: fake.token, room_id: fake.roomId, max_per_second: 50 }), {
      name: 'm',
      log: silent,
      templates,
      clock: systemClock,
    });
    const state = memoryState();
    // Emoji are 4 bytes in 2 UTF-16 units and '<' becomes '&lt;' in HTML: uncut, this is several times the limit.
    const labels = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`label${i}`, '😀'.repeat(250)]));
    for (const [i, status] of (['firing', 'resolved'] as const).entries()) {
      await instance.send(
        {
          id: `big${i}`,
          receiver: 'm',
          people: [],
          event: { id: `e${i}`, title: 'big', status, key: 'big', text: '😀<'.repeat(20_000), labels, received_at: '2026-01-01T00:00:00Z' },
        },
        { http: loopbackHttpClient(), net: loopbackTcpClient(), state, log: silent, clock: systemClock, attempt: 1, signal: new AbortController().signal },
      );
    }
    assert.deepEqual(fake.rejected, []);
    assert.equal(fake.events.length, 2);
    assert.equal((fake.events[1]?.content['m.relates_to'] as { rel_type?: string } | undefined)?.rel_type, 'm.replace');
    for (const e of fake.events) assert.ok(Buffer.byteLength(JSON.stringify(e.content)) <= 60_000);
    assert.match(String(fake.events[0]?.content.formatted_body), /… \(truncated\)/);
  });

  it('with edit_on_resolve: false a resolve posts a new message', { timeout: 20_000 }, async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    const h = await startHerald(t, yaml(fake.url, fake.token, fake.roomId, ', edit_on_resolve: false'));
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 down', status: 'firing', key: 'db-1' } });
    await eventually(() => fake.events.length === 1, 5000, 'trigger');
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'db-1 up', status: 'resolved', key: 'db-1' } });
    await eventually(() => fake.events.length === 2, 5000, 'resolve');
    assert.equal(fake.events[1]?.content['m.relates_to'], undefined);
  });

  it('answers: unknown token and not-in-room are permanent with the errcode; M_LIMIT_EXCEEDED waits retry_after_ms; 5xx retried', async (t) => {
    const fake = await startFakeMatrix();
    t.after(() => fake.close());
    const event: HeraldEvent = { id: 'e1', title: 'x', status: 'firing', labels: {}, received_at: '2026-01-01T00:00:00Z' };
    const send = (config: Partial<Parameters<typeof matrix.create>[0]>) => {
      const n: Notification = { id: `d${Math.random()}`, receiver: 'm', people: [], event };
      return matrix
        .create(filledConfig(matrix, { homeserver: fake.url, access_token: fake.token, room_id: fake.roomId, max_per_second: 50, ...config }), {
          name: 'm',
          log: silent,
          templates,
          clock: systemClock,
        })
        .send(n, {
          http: loopbackHttpClient(),
          net: loopbackTcpClient(),
          state: memoryState(),
          log: silent,
          clock: systemClock,
          attempt: 1,
          signal: new AbortController().signal,
        })
        .catch((e: unknown) => e);
    };
    const badToken = await send({ access_token: 'syt_wrong_secret_token_77' });
    assert.ok(badToken instanceof DeliveryError && badToken.reason === 'auth' && !badToken.retryable);
    assert.match(badToken.message, /HTTP 401: not authorized: M_UNKNOWN_TOKEN Invalid access token passed\./);
    assert.ok(!badToken.message.includes('syt_wrong_secret_token_77') && !(badToken.response ?? '').includes('syt_wrong_secret_token_77'));
    const notJoined = await send({ room_id: '!elsewhere:example.org' });
    assert.ok(notJoined instanceof DeliveryError && notJoined.reason === 'auth');
    assert.match(notJoined.message, /M_FORBIDDEN User @herald:example\.org not in room/);
    fake.perSecond = 1;
    await send({});
    const limited = await send({});
    assert.ok(limited instanceof DeliveryError && limited.reason === 'rate_limited' && limited.retryable);
    assert.equal(limited.retryAfterMs, 2000, 'retry_after_ms from the body, as no Retry-After came');
    assert.match(limited.message, /M_LIMIT_EXCEEDED/);
    fake.perSecond = 0;
    fake.script.push({ status: 503, body: { errcode: 'M_UNKNOWN', error: 'overloaded' } });
    const down = await send({});
    assert.ok(down instanceof DeliveryError && down.reason === 'server' && down.retryable);
  });
});
