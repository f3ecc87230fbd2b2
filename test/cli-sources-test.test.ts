import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Sink, startSink, tempDir } from './helpers/harness.js';
import { HERALD_BIN, ROOT } from './helpers/process.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Runs the built CLI without blocking this process (a sink may live here). */
function herald(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...HERALD_BIN, ...args],
      { cwd: ROOT, env: { ...process.env, HERALD_URL: '', HERALD_TOKEN: '', HERALD_CONFIG: '', ...env }, encoding: 'utf8', timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

describe('herald sources test: a sender payload through a configured source, dry', () => {
  let dir: string;
  let sink: Sink;
  let cfg: string;
  const GH_SECRET = 'gh-hook-secret-0123456789';
  const payloadFile = 'src/sources/github/fixtures/push.json';
  const payload = readFileSync(join(ROOT, payloadFile));
  const signature = `sha256=${createHmac('sha256', GH_SECRET).update(payload).digest('hex')}`;
  before(async () => {
    dir = tempDir();
    sink = await startSink();
    cfg = join(dir, 'herald.yaml');
    writeFileSync(
      cfg,
      `storage: {url: "sqlite:${join(dir, 'never.db')}"}
outbound: {allow: ["127.0.0.0/8"]}
sources:
  - {name: gh, type: github, secret: "${GH_SECRET}"}
  - {name: bus, type: mqtt, url: "mqtt://127.0.0.1:1883", topics: ["herald/#"]}
receivers:
  - {name: hook, type: webhook, url: "${sink.url}/in", secret: "${SECRET}"}
  - {name: console, type: log}
routes:
  - {match: ['type="push"'], receivers: [hook], continue: true}
  - {receivers: [console]}
`,
    );
  });
  after(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a signed GitHub push: the mapped event, the routes and what each receiver would send; nothing stored or sent', async () => {
    const r = await herald([
      'sources',
      'test',
      'gh',
      '-c',
      cfg,
      '--payload',
      payloadFile,
      '--header',
      'X-GitHub-Event: push',
      '--header',
      `X-Hub-Signature-256: ${signature}`,
    ]);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.source, 'gh');
    assert.equal(out.type, 'github');
    assert.equal(out.stored, false);
    assert.equal(out.unverified, undefined, 'the signature was verified');
    assert.equal(out.events.length, 1);
    const [e] = out.events;
    assert.equal(e.event.title, '[Codertocat/Hello-World] 2 commits pushed to main by Codertocat');
    assert.equal(e.event.type, 'push');
    assert.deepEqual(e.matched_routes, [0, 1]);
    assert.deepEqual(
      e.receivers.map((x: { receiver: string }) => x.receiver),
      ['hook', 'console'],
    );
    const request = e.receivers[0].output[0].request;
    assert.equal(request.url, '***', "the webhook URL is the receiver's secret, masked");
    assert.equal(JSON.parse(request.body).event.title, e.event.title);
    assert.ok(!r.out.includes(GH_SECRET) && !r.out.includes(SECRET), 'no secret printed');
    assert.equal(sink.requests.length, 0, 'nothing sent');
    assert.ok(!existsSync(join(dir, 'never.db')), 'no database opened');
  });

  it('a wrong signature is refused with a hint; a missing one too, unless --skip-verify', async () => {
    const wrong = await herald([
      'sources',
      'test',
      'gh',
      '-c',
      cfg,
      '--payload',
      payloadFile,
      '--header',
      'X-GitHub-Event: push',
      '--header',
      'X-Hub-Signature-256: sha256=00',
    ]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /source "gh" \(github\) refused the payload: 401 invalid_signature: X-Hub-Signature-256 does not match the body/);
    assert.match(wrong.err, /hint: the signature is computed over the exact bytes/);

    const missing = await herald(['sources', 'test', 'gh', '-c', cfg, '--payload', payloadFile, '--header', 'X-GitHub-Event: push']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /401 invalid_signature: missing X-Hub-Signature-256 header/);
    assert.match(missing.err, /--header 'Name: value'.*or add --skip-verify/);

    const skipped = await herald(['sources', 'test', 'gh', '-c', cfg, '--payload', payloadFile, '--header', 'X-GitHub-Event: push', '--skip-verify']);
    assert.equal(skipped.code, 0, skipped.err);
    const out = JSON.parse(skipped.out);
    assert.deepEqual(out.unverified, ['missing X-Hub-Signature-256 header: this source requires a signed request']);
    assert.equal(out.events[0].event.type, 'push');

    const wrongEvenSkipped = await herald([
      ...['sources', 'test', 'gh', '-c', cfg, '--payload', payloadFile, '--skip-verify'],
      ...['--header', 'X-GitHub-Event: push', '--header', 'X-Hub-Signature-256: sha256=00'],
    ]);
    assert.equal(wrongEvenSkipped.code, 1, 'a signature that is given is checked even with --skip-verify');

    const noEvent = await herald(['sources', 'test', 'gh', '-c', cfg, '--payload', payloadFile, '--header', `X-Hub-Signature-256: ${signature}`]);
    assert.equal(noEvent.code, 1);
    assert.match(noEvent.err, /400 invalid_payload: missing X-GitHub-Event header\n {2}hint: give the sender's headers with --header/);
    assert.equal(sink.requests.length, 0, 'nothing sent');
  });

  it('usage: an unknown source exits 2 naming the configured ones; a broker source is refused clearly', async () => {
    const unknown = await herald(['sources', 'test', 'nope', '-c', cfg, '--payload', payloadFile]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no source named "nope" \(configured: gh, bus\)/);
    const bus = await herald(['sources', 'test', 'bus', '-c', cfg, '--payload', payloadFile]);
    assert.equal(bus.code, 2);
    assert.match(bus.err, /source "bus" \(mqtt\) is a listener: .*sources test runs HTTP sources and smtp/);
    assert.equal((await herald(['sources', 'test', 'gh', '-c', cfg])).code, 2, '--payload is required');
  });
});
