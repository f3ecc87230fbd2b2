import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import nodemailer from 'nodemailer';
import { eventually, registry, selfSignedCert, startHerald, startSink, type TestHerald, tempDir } from '../../../test/helpers/harness.js';
import { parseConfig } from '../../config/load.js';
import { StoreUnavailableError } from '../../store/types.js';

const CERT = selfSignedCert('IP:127.0.0.1');
const PASSWORD = 'correct-horse-battery';
const SWAKS = '/usr/bin/swaks';
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.eml`, import.meta.url));

type T = Parameters<typeof startHerald>[0] & { skip(message?: string): void };

async function setup(t: T) {
  const sink = await startSink();
  t.after(() => sink.close());
  const dir = tempDir(t);
  const certFile = join(dir, 'cert.pem');
  writeFileSync(certFile, CERT.cert);
  // The key is given inline as PEM text, the certificate as a file path: both forms are accepted.
  const keyYaml = CERT.key.toString('utf8').trim().split('\n').join('\n        ');
  const h = await startHerald(
    t,
    `outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
sources:
  - name: mail
    type: smtp
    listen: 127.0.0.1:0
    domains: [herald.test]
    recipients: [alerts@elsewhere.test]
    key_template: "{{ local_part }}:{{ tag }}"
    mapping:
      ci: {source: ci, labels: {team: core}}
      ops: {severity: critical}
  - name: tiny
    type: smtp
    listen: 127.0.0.1:0
    recipients: [ci@herald.test]
    max_message_size: 4KiB
  - name: secure
    type: smtp
    listen: 127.0.0.1:0
    domains: [herald.test]
    tls:
      cert: ${certFile}
      key: |
        ${keyYaml}
    auth: {username: sender, password: ${PASSWORD}}
receivers:
  - {name: out, type: webhook, url: "${sink.url}/hook"}
routes: [{receivers: [out]}]
`,
  );
  const port = (name: string) => listeningPort(h, name);
  const events = async () => (await h.herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events as Record<string, unknown>[];
  const metrics = async () => (await h.herald.server.inject({ method: 'GET', url: '/metrics' })).body;
  const delivered = () => sink.requests.map((r) => JSON.parse(r.body).event as Record<string, unknown>);
  return { sink, h, port, events, metrics, delivered };
}

/** The bound port, as the source logs it once listening on port 0. */
function listeningPort(h: TestHerald, source: string): number {
  for (const line of h.logLines) {
    const entry = JSON.parse(line) as { msg?: string; source?: string; port?: number };
    if (entry.msg === 'smtp listening' && entry.source === source && typeof entry.port === 'number') return entry.port;
  }
  throw new Error(`source ${source} logged no "smtp listening" line`);
}

function transport(port: number, extra: Record<string, unknown> = {}) {
  return nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000, socketTimeout: 5000, ...extra });
}

/** A bare SMTP client for asserting exact replies: one command, one (possibly multi-line) reply. */
class Talk {
  private buffer = '';
  private replies: string[] = [];
  private waiting: ((reply: string) => void) | undefined;
  readonly closed: Promise<void>;
  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end = /(^|\r\n)\d{3}(?: [^\r\n]*)?\r\n/.exec(this.buffer);
      while (end) {
        const upTo = end.index + end[0].length;
        this.replies.push(this.buffer.slice(0, upTo).trimEnd());
        this.buffer = this.buffer.slice(upTo);
        end = /(^|\r\n)\d{3}(?: [^\r\n]*)?\r\n/.exec(this.buffer);
      }
      this.flush();
    });
  }

  static async open(port: number): Promise<{ talk: Talk; greeting: string }> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const talk = new Talk(socket);
    return { talk, greeting: await talk.reply() };
  }

  private flush() {
    if (this.waiting && this.replies.length > 0) {
      const w = this.waiting;
      this.waiting = undefined;
      w(this.replies.shift() as string);
    }
  }

  reply(): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no SMTP reply within 5 s (have: ${JSON.stringify(this.buffer)})`)), 5000);
      this.waiting = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.flush();
    });
  }

  cmd(line: string): Promise<string> {
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  /** DATA, the message (dot-stuffed), the final dot; returns the reply to the message. */
  async data(message: string): Promise<string> {
    const go = await this.cmd('DATA');
    if (!go.startsWith('354')) return go;
    const body = message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`);
    return this.reply();
  }

  close() {
    this.socket.destroy();
  }

  /** EHLO, MAIL, RCPT for each recipient; returns the RCPT replies. */
  async envelope(from: string, to: string[]): Promise<string[]> {
    assert.match(await this.cmd('EHLO client.test'), /^250/);
    assert.match(await this.cmd(`MAIL FROM:<${from}>`), /^250/);
    const replies: string[] = [];
    for (const r of to) replies.push(await this.cmd(`RCPT TO:<${r}>`));
    return replies;
  }
}

async function open(t: { after(fn: () => unknown): void }, port: number) {
  const { talk, greeting } = await Talk.open(port);
  t.after(() => talk.close());
  assert.match(greeting, /^220 /);
  return talk;
}

const simpleMail = (subject: string, extra = '') =>
  `From: Cron <cron@host.test>\r\nTo: ci@herald.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W+/g, '-')}@host.test>\r\n${extra}\r\nbody of ${subject}\r\n`;

describe('smtp source', () => {
  it('takes a multipart mail from nodemailer, answers 250 only once the event is stored, and maps recipient, tag and subject', async (t) => {
    const { port, events, delivered } = await setup(t);
    const mailer = transport(port('mail'));
    t.after(() => mailer.close());
    const info = await mailer.sendMail({
      from: 'Bamboo <bamboo@ci.example>',
      to: 'CI+Bamboo@herald.test',
      subject: 'Build #7 failed',
      text: 'Tests failed: 3 of 120.\nSee the log.',
      html: '<p>Tests failed: <b>3</b> of 120.</p><p>See the log.</p>',
    });
    assert.match(info.response, /^250 2\.0\.0 OK: accepted as \S+$/);
    // Committed before the 250: the event is there at once, no waiting.
    const stored = await events();
    assert.equal(stored.length, 1);
    assert.equal(info.response.split(' ').pop(), stored[0]?.id);
    await eventually(() => delivered().length === 1, 5000, 'delivered to the sink');
    const e = delivered()[0] as Record<string, unknown>;
    assert.equal(e.title, 'Build #7 failed');
    assert.equal(e.text, 'Tests failed: 3 of 120.\nSee the log.');
    assert.equal(e.status, 'firing');
    assert.equal(e.source, 'ci');
    assert.equal(e.key, 'ci:bamboo');
    assert.deepEqual(e.labels, { from: 'bamboo@ci.example', to: 'ci+bamboo@herald.test', tag: 'bamboo', team: 'core' });
    const data = e.data as Record<string, unknown>;
    assert.equal(data.subject, 'Build #7 failed');
    assert.equal(data.message_id, info.messageId);
    assert.deepEqual(data.envelope, { mail_from: 'bamboo@ci.example', rcpt_to: 'ci+bamboo@herald.test' });
  });

  it('derives the text of an HTML-only mail', async (t) => {
    const { port, delivered } = await setup(t);
    const mailer = transport(port('mail'));
    t.after(() => mailer.close());
    const info = await mailer.sendMail({
      from: 'monitor@status.test',
      to: 'ops@herald.test',
      subject: 'db-1 is down',
      html: '<html><body><h1>Disk full</h1><p>db-1 at <b>97%</b></p><a href="https://status.test/db-1">details</a></body></html>',
    });
    assert.match(info.response, /^250 /);
    await eventually(() => delivered().length === 1, 5000, 'delivered');
    const e = delivered()[0] as Record<string, unknown>;
    assert.equal(e.title, 'db-1 is down');
    assert.equal(e.text, 'DISK FULL\n\ndb-1 at 97%\n\ndetails [https://status.test/db-1]');
    assert.equal(e.status, 'firing');
    assert.equal(e.severity, 'critical');
    assert.equal(e.source, 'mail', 'no source in the mapping: the source name');
  });

  it('maps a raw Jenkins "Build failed" mail and stores a re-sent copy (same Message-ID) once', async (t) => {
    const { port, events, delivered } = await setup(t);
    const mailer = transport(port('mail'));
    t.after(() => mailer.close());
    const send = () => mailer.sendMail({ envelope: { from: 'jenkins@ci.example.com', to: ['ci+jenkins@herald.test'] }, raw: fixture('jenkins-build-failed') });
    const first = await send();
    assert.match(first.response, /^250 2\.0\.0 OK: accepted as /);
    const again = await send();
    assert.equal(again.response, '250 2.0.0 OK: already received');
    assert.equal((await events()).length, 1, 'stored once');
    await eventually(() => delivered().length === 1, 5000, 'delivered');
    const e = delivered()[0] as Record<string, unknown>;
    assert.equal(e.title, 'Build failed in Jenkins: herald-main #1287');
    assert.equal(e.status, 'firing');
    assert.equal(e.source, 'ci');
    assert.equal(e.occurred_at, '2026-03-03T09:14:07.000Z');
    assert.match(e.text as string, /marked build as failure$/);
    const data = e.data as { headers: Record<string, string>; message_id: string };
    assert.equal(data.headers['x-jenkins-result'], 'FAILURE');
    assert.equal(data.message_id, '<1405913187.17.1772529247312@ci.example.com>');
    // Another mail with the same Message-ID to another recipient is that recipient's own event.
    const other = await mailer.sendMail({ envelope: { from: 'jenkins@ci.example.com', to: ['ops@herald.test'] }, raw: fixture('jenkins-build-failed') });
    assert.match(other.response, /^250 2\.0\.0 OK: accepted as /);
    assert.equal((await events()).length, 2);
  });

  it('turns a mail sent with swaks into an event that reaches the sink', async (t) => {
    if (!existsSync(SWAKS)) {
      if (process.env.CI === 'true') assert.fail(`${SWAKS} is missing (apt-get install swaks)`);
      t.skip(`SKIPPED: ${SWAKS} not installed`);
      return;
    }
    const { port, delivered } = await setup(t);
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile(
        SWAKS,
        [
          '--to',
          'ci@herald.test',
          '--from',
          'build@ci.test',
          '--server',
          `127.0.0.1:${port('mail')}`,
          '--helo',
          'ci.test',
          '--header',
          'Subject: build failed',
          '--body',
          'step 3 of 5 failed: npm test',
        ],
        { timeout: 15_000 },
        (err, out, errOut) => (err ? reject(new Error(`swaks failed: ${err.message}\n${out}\n${errOut}`)) : resolve({ stdout: out })),
      );
    });
    assert.match(stdout, /<- {2}250 2\.0\.0 OK: accepted as /);
    await eventually(() => delivered().length === 1, 5000, 'delivered');
    const e = delivered()[0] as Record<string, unknown>;
    assert.equal(e.title, 'build failed');
    assert.equal(e.status, 'firing');
    assert.equal(e.text, 'step 3 of 5 failed: npm test');
    assert.equal(e.source, 'ci');
    assert.deepEqual(e.labels, { from: 'build@ci.test', to: 'ci@herald.test', team: 'core' });
  });

  it('never relays: recipients outside the configured domains and addresses are refused with 550 and nothing is stored', async (t) => {
    const { port, events, metrics } = await setup(t);
    const talk = await open(t, port('mail'));
    const replies = await talk.envelope('spammer@bad.test', [
      'someone@example.com',
      'ci@herald.test.evil.example',
      'other@elsewhere.test',
      'ci@sub.herald.test',
    ]);
    for (const r of replies) assert.equal(r, '550 5.7.1 relay not permitted');
    assert.match(await talk.data(simpleMail('relay me')), /^503 /, 'no accepted recipient: no DATA');
    assert.equal((await events()).length, 0);
    assert.match(await metrics(), /herald_source_rejected_total\{source="mail",reason="relay_denied"\} 4/);
    // Listed addresses (a +tag included) and domains (any case) are accepted on the same connection.
    assert.match(await talk.cmd('RSET'), /^250/);
    assert.match(await talk.cmd('MAIL FROM:<cron@host.test>'), /^250/);
    for (const r of ['alerts+nightly@elsewhere.test', 'OPS@Herald.Test']) assert.match(await talk.cmd(`RCPT TO:<${r}>`), /^250/);
    assert.match(await talk.cmd('RCPT TO:<someone@example.com>'), /^550 5\.7\.1 relay not permitted$/);
    assert.match(await talk.data(simpleMail('two recipients')), /^250 2\.0\.0 OK: accepted as \S+, \S+$/);
    const stored = await events();
    assert.deepEqual(stored.map((e) => (e.labels as Record<string, string>).to).sort(), ['alerts+nightly@elsewhere.test', 'ops@herald.test']);
  });

  it('refuses an oversized message with 552 while it streams in, stores nothing, and the connection stays usable', async (t) => {
    const { port, events, metrics } = await setup(t);
    const talk = await open(t, port('tiny'));
    assert.match(await talk.cmd('EHLO client.test'), /\r\n250[- ]SIZE 4096(\r\n|$)/);
    assert.match(await talk.cmd('MAIL FROM:<cron@host.test>'), /^250/);
    assert.match(await talk.cmd('RCPT TO:<ci@herald.test>'), /^250/);
    const big = simpleMail('huge report', '').replace('body of', `${'x'.repeat(76)}\r\n`.repeat(60));
    assert.equal(await talk.data(big), '552 5.3.4 message too large: the limit is 4096 bytes');
    assert.equal((await events()).length, 0);
    assert.match(await metrics(), /herald_source_rejected_total\{source="tiny",reason="too_large"\} 1/);
    // A client declaring the size up front is refused at MAIL.
    assert.match(await talk.cmd('MAIL FROM:<cron@host.test> SIZE=100000'), /^552 /);
    assert.match(await talk.cmd('MAIL FROM:<cron@host.test>'), /^250/);
    assert.match(await talk.cmd('RCPT TO:<ci@herald.test>'), /^250/);
    assert.match(await talk.data(simpleMail('small report')), /^250 /);
    assert.equal((await events()).length, 1);
  });

  it('answers 451 and stores nothing while the store is unavailable; the retried mail is then stored', async (t) => {
    const { h, port, events, delivered } = await setup(t);
    const store = h.herald.storeForTests();
    const original = store.commitIngest;
    let refused = 0;
    store.commitIngest = async () => {
      refused++;
      throw new StoreUnavailableError('database is locked (test)');
    };
    const talk = await open(t, port('mail'));
    await talk.envelope('cron@host.test', ['ci@herald.test']);
    const mail = simpleMail('backup failed');
    try {
      assert.equal(await talk.data(mail), '451 4.3.0 temporary failure, try again later');
      assert.ok(refused >= 1);
    } finally {
      store.commitIngest = original;
    }
    assert.equal((await events()).length, 0);
    assert.match(await talk.cmd('MAIL FROM:<cron@host.test>'), /^250/);
    assert.match(await talk.cmd('RCPT TO:<ci@herald.test>'), /^250/);
    assert.match(await talk.data(mail), /^250 2\.0\.0 OK: accepted as /);
    assert.equal((await events()).length, 1);
    await eventually(() => delivered().length === 1, 5000, 'delivered');
    assert.equal(delivered()[0]?.title, 'backup failed');
  });

  it('refuses a message without headers with 554 and stores nothing', async (t) => {
    const { port, events, metrics } = await setup(t);
    const talk = await open(t, port('mail'));
    await talk.envelope('cron@host.test', ['ci@herald.test']);
    assert.match(await talk.data('no headers here, just words\r\nand more words\r\n'), /^554 5\.6\.0 the message has no header section/);
    assert.equal((await events()).length, 0);
    assert.match(await metrics(), /herald_source_rejected_total\{source="mail",reason="malformed"\} 1/);
  });

  it('with auth: offers AUTH only after STARTTLS, refuses MAIL without it (530) and wrong passwords (535), accepts the right one', async (t) => {
    const { port, events, delivered, metrics } = await setup(t);
    const p = port('secure');
    const talk = await open(t, p);
    const ehlo = await talk.cmd('EHLO client.test');
    assert.match(ehlo, /STARTTLS/);
    assert.doesNotMatch(ehlo, /AUTH/, 'no AUTH before TLS');
    assert.match(await talk.cmd(`AUTH PLAIN ${Buffer.from(`\0sender\0${PASSWORD}`).toString('base64')}`), /^5\d\d /);
    assert.equal(await talk.cmd('MAIL FROM:<cron@host.test>'), '530 5.7.0 authentication required: issue STARTTLS, then AUTH');

    const tlsOptions = { ca: CERT.cert };
    const noAuth = transport(p, { ignoreTLS: false, requireTLS: true, tls: tlsOptions });
    t.after(() => noAuth.close());
    await assert.rejects(noAuth.sendMail({ from: 'a@b.test', to: 'ci@herald.test', subject: 'x', text: 'x' }), (err: { responseCode?: number }) => {
      assert.equal(err.responseCode, 530);
      return true;
    });
    const wrong = transport(p, { ignoreTLS: false, requireTLS: true, tls: tlsOptions, auth: { user: 'sender', pass: 'wrong-password' } });
    t.after(() => wrong.close());
    await assert.rejects(wrong.sendMail({ from: 'a@b.test', to: 'ci@herald.test', subject: 'x', text: 'x' }), (err: { responseCode?: number }) => {
      assert.equal(err.responseCode, 535);
      return true;
    });
    assert.equal((await events()).length, 0);

    const good = transport(p, { ignoreTLS: false, requireTLS: true, tls: tlsOptions, auth: { user: 'sender', pass: PASSWORD } });
    t.after(() => good.close());
    const info = await good.sendMail({ from: 'backup@host.test', to: 'ops@herald.test', subject: 'nightly backup succeeded', text: '42 GiB in 3 min' });
    assert.match(info.response, /^250 2\.0\.0 OK: accepted as /);
    await eventually(() => delivered().length === 1, 5000, 'delivered');
    assert.equal(delivered()[0]?.status, 'resolved');
    assert.equal((await events()).length, 1);
    const m = await metrics();
    assert.match(m, /herald_source_rejected_total\{source="secure",reason="auth_failed"\} 1/);
    assert.match(m, /herald_source_rejected_total\{source="secure",reason="auth_required"\} 2/);
  });

  it('refuses configurations that would relay or take passwords in clear, precisely', () => {
    const parse = (yaml: string) => {
      try {
        parseConfig(yaml, registry(), {});
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.match(parse('sources: [{name: m, type: smtp}]'), /sources\[0\]\.domains: give domains and\/or recipients/);
    const msg = parse('sources: [{name: m, type: smtp, domains: [a.test], auth: {username: u, password: p}, firing_subject: "(", listen: "127.0.0.1:70000"}]');
    assert.match(msg, /sources\[0\]\.auth: auth needs tls/);
    assert.match(msg, /sources\[0\]\.firing_subject: not a valid regular expression/);
    assert.match(msg, /sources\[0\]\.listen: port 70000 is out of range/);
    assert.match(parse('sources: [{name: m, type: smtp, recipients: [not-an-address]}]'), /sources\[0\]\.recipients\[0\]: must match/);
    assert.equal(parse('sources: [{name: m, type: smtp, recipients: [ci@herald.test]}]'), '');
  });

  it('fails to start with the reason when the port is taken, and stops promptly with a client connected', async (t) => {
    const { h, port } = await setup(t);
    const taken = port('mail');
    await assert.rejects(
      startHerald(t, `sources: [{name: clash, type: smtp, listen: "127.0.0.1:${taken}", domains: [herald.test]}]`),
      /source "clash" \(smtp\) failed to start: .*EADDRINUSE/,
    );
    const talk = await open(t, port('mail'));
    assert.match(await talk.cmd('EHLO client.test'), /^250/);
    const started = Date.now();
    await h.stop();
    await talk.closed;
    assert.ok(Date.now() - started < 3000, `stopped in ${Date.now() - started} ms`);
  });
});
