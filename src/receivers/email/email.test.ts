import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Mailbox, startSmtp } from '../../../test/fakes/smtp.js';
import { deliveries, eventually, selfSignedCert, startHerald } from '../../../test/helpers/harness.js';
import { classifySmtpError } from './index.js';

const cfg = (receiver: string, allow = '["127.0.0.0/8"]') => `
outbound: {allow: ${allow}}
delivery: {poll_interval: 20ms}
receivers:
  - ${receiver}
routes: [{receivers: [mail]}]
`;

describe('email receiver', () => {
  it('sends a multipart text + HTML mail with event values escaped in the HTML', async (t) => {
    const box = await startSmtp();
    t.after(() => box.close());
    const h = await startHerald(
      t,
      cfg(`{name: mail, type: email, host: 127.0.0.1, port: ${box.port}, tls: none, from: herald@example.com, to: [ops@example.com, dev@example.com]}`),
    );
    await h.herald.server.inject({
      method: 'POST',
      url: '/api/v1/events',
      payload: {
        title: 'Build <b>#42</b> failed',
        text: 'see <script>alert(1)</script>',
        status: 'firing',
        severity: 'error',
        labels: { repo: 'herald' },
        url: 'https://ci.example.com/42',
      },
    });
    await eventually(() => box.mails.length === 1, 5000, 'mail received');
    const { from, to, parsed } = box.mails[0] as Mailbox['mails'][number];
    assert.equal(from, 'herald@example.com');
    assert.deepEqual(to, ['ops@example.com', 'dev@example.com']);
    assert.equal(parsed.subject, '[FIRING] Build <b>#42</b> failed');
    assert.match(parsed.text ?? '', /see <script>alert\(1\)<\/script>/);
    assert.match(parsed.text ?? '', /repo: herald/);
    assert.match(parsed.text ?? '', /https:\/\/ci\.example\.com\/42/);
    const html = String(parsed.html);
    assert.ok(html.includes('Build &lt;b&gt;#42&lt;/b&gt; failed'), html);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!html.includes('<script>'));
    assert.ok(parsed.headers.get('x-herald-delivery'));
    await eventually(async () => (await deliveries(h))[0]?.state === 'succeeded', 5000, 'succeeded');
  });

  it('upgrades with STARTTLS and authenticates; a wrong password is a permanent auth failure', async (t) => {
    const { key, cert } = selfSignedCert('IP:127.0.0.1');
    const box = await startSmtp({
      key,
      cert,
      disabledCommands: [],
      authOptional: false,
      onAuth(auth, session, cb) {
        if (!session.secure) return cb(new Error('TLS required'));
        if (auth.username === 'herald' && auth.password === 's3cret-pass') return cb(null, { user: 'herald' });
        return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
    });
    t.after(() => box.close());
    const mk = (name: string, pass: string) =>
      `{name: ${name}, type: email, host: 127.0.0.1, port: ${box.port}, tls: starttls, tls_ca: "\${CA}", username: herald, password: "${pass}", from: h@example.com, to: [ops@example.com]}`;
    const h = await startHerald(
      t,
      cfg(`${mk('mail', 's3cret-pass')}\n  - ${mk('bad', 'wrong-pass-123')}`).replace('routes: [{receivers: [mail]}]', 'routes: [{receivers: [mail, bad]}]'),
      {
        env: { CA: cert.toString() },
      },
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'over TLS' } });
    await eventually(async () => (await deliveries(h)).every((d) => d.state === 'succeeded' || d.state === 'dead'), 10_000, 'settled');
    assert.equal(box.mails.length, 1);
    assert.equal(box.mails[0]?.parsed.subject, 'over TLS');
    const dead = (await deliveries(h)).find((d) => d.state === 'dead');
    assert.match(dead?.last_error ?? '', /SMTP 535/);
    assert.ok(!h.logLines.join('\n').includes('wrong-pass-123'));
  });

  it('the relay goes through the SSRF guard: refused before connecting when not allowed', async (t) => {
    const box = await startSmtp();
    t.after(() => box.close());
    const h = await startHerald(
      t,
      cfg(`{name: mail, type: email, host: 127.0.0.1, port: ${box.port}, tls: none, from: h@example.com, to: [ops@example.com]}`, '[]'),
    );
    await h.herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: 'x' } });
    await eventually(async () => (await deliveries(h))[0]?.state === 'dead', 5000, 'dead');
    assert.match((await deliveries(h))[0]?.last_error ?? '', /refused to connect to 127\.0\.0\.1/);
    assert.equal(box.connections, 0);
  });

  it('classifies SMTP replies: 4xx retried, 5xx permanent, 535 auth', () => {
    assert.equal(classifySmtpError({ responseCode: 451, response: '451 try later' }).retryable, true);
    assert.equal(classifySmtpError({ responseCode: 550, response: '550 no such user' }).retryable, false);
    assert.equal(classifySmtpError({ responseCode: 535, code: 'EAUTH', response: '535 bad auth' }).reason, 'auth');
    assert.equal(classifySmtpError({ code: 'ECONNECTION', message: 'refused' }).retryable, true);
  });

  it('validates its config', async () => {
    const { parseConfig } = await import('../../config/load.js');
    const { registry } = await import('../../../test/helpers/harness.js');
    assert.throws(
      () => parseConfig('receivers: [{name: m, type: email, host: h, from: nope, to: []}]', registry(), {}),
      /receivers\[0\]\.from: must match.*\n.*receivers\[0\]\.to: must have at least 1 items/,
    );
    assert.throws(
      () => parseConfig('receivers: [{name: m, type: email, host: h, from: a@b.c, to: [x@y.z], username: u, password: p, tls: none}]', registry(), {}),
      /receivers\[0\]\.tls: refusing to send a password without TLS/,
    );
  });
});
