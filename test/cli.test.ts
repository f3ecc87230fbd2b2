import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, type Sink, startSink, tempDir } from './helpers/harness.js';
import { freePort, HERALD_BIN, type HeraldProcess, ROOT, runHerald, stopProcess, waitForHttp } from './helpers/process.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Runs the CLI without blocking this process (the sink lives here). */
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

describe('herald CLI, local commands', () => {
  let dir: string;
  let sink: Sink;
  let cfg: string;
  before(async () => {
    dir = tempDir();
    sink = await startSink();
    cfg = join(dir, 'herald.yaml');
    writeFileSync(
      cfg,
      `outbound: {allow: ["127.0.0.0/8"]}
receivers:
  - {name: hook, type: webhook, url: "${sink.url}/in/tok-secret-123", secret: "${SECRET}"}
  - {name: console, type: log}
routes:
  - {match: ['severity=critical'], receivers: [hook], continue: true}
  - {receivers: [console]}
`,
    );
  });
  after(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--help documents every command', async () => {
    const r = await herald(['--help']);
    assert.equal(r.code, 0);
    for (const c of [
      'serve',
      'check-config',
      'send',
      'test',
      'routes',
      'sources',
      'deliveries',
      'incidents',
      'replay',
      'reload',
      'receivers',
      'plugins',
      'oncall',
      'silence',
    ])
      assert.match(r.out, new RegExp(`\\n  ${c}\\b`), c);
  });

  it('check-config: ok exits 0, with secrets masked in --show', async () => {
    const r = await herald(['check-config', '-c', cfg, '--show']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ok — 2 receiver\(s\), 2 route\(s\)/);
    assert.ok(!r.out.includes('tok-secret-123') && !r.out.includes(SECRET), 'secrets masked');
  });

  it('check-config: an invalid file exits 2 naming the path', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'receivers:\n  - {name: a, type: webhook, url: "ftp://nope"}\n');
    const r = await herald(['check-config', '-c', bad]);
    assert.equal(r.code, 2);
    assert.match(r.err, /receivers\[0\]\.url: must be an http\(s\) URL/);
    const missing = await herald(['check-config', '-c', join(dir, 'nope.yaml')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read/);
  });

  it('check-config refuses an unauthenticated non-loopback listener, like serve', async () => {
    const exposed = join(dir, 'exposed.yaml');
    writeFileSync(exposed, 'server: {listen: "0.0.0.0:9470"}\nstorage: {url: "postgres://herald:hunter2@db/herald"}\n');
    const r = await herald(['check-config', '-c', exposed]);
    assert.equal(r.code, 2);
    assert.match(r.err, /refusing to listen on 0\.0\.0\.0:9470 without auth tokens/);
  });

  it('test <receiver> sends a sample event now and prints the attempt', async () => {
    const r = await herald(['test', 'hook', '-c', cfg]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /→ POST \*\*\*/);
    assert.match(r.out, /webhook-signature: v1,/);
    assert.match(r.out, /← 200 in \d+ ms: ok/);
    assert.match(r.out, /✓ delivered to hook \(webhook\)/);
    assert.ok(!r.out.includes('tok-secret-123'));
    const got = sink.requests.at(-1);
    assert.equal(JSON.parse(got?.body ?? '{}').event.title, 'Herald test notification');
  });

  it('test <receiver> exits 1 when the receiver fails, and 2 for an unknown one', async () => {
    sink.respond = (_req, res) => {
      res.statusCode = 500;
      res.end('down');
    };
    const r = await herald(['test', 'hook', '-c', cfg]);
    sink.respond = (_req, res) => {
      res.end('ok');
    };
    assert.equal(r.code, 1);
    assert.match(r.out, /✗ hook \(webhook\) failed \[server, would be retried\]: HTTP 500/);
    const unknown = await herald(['test', 'nope', '-c', cfg]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no receiver named "nope" \(configured: hook, console\)/);
  });

  it('routes test shows the decision and the rendered requests, sending nothing', async () => {
    const before = sink.requests.length;
    const r = await herald(['routes', 'test', '-c', cfg, '--title', 'db down', '--severity', 'critical', '--label', 'env=prod']);
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.deepEqual(out.matched_routes, [0, 1]);
    assert.equal(out.receivers[0].receiver, 'hook');
    assert.equal(JSON.parse(out.receivers[0].output[0].request.body).event.labels.env, 'prod');
    assert.equal(sink.requests.length, before, 'nothing sent');
    const bad = await herald(['routes', 'test', '-c', cfg, '--label', 'oops']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--label "oops": expected key=value/);
  });

  it('test --event refuses a sender payload with a pointer to `sources test`', async () => {
    const r = await herald(['test', 'hook', '-c', cfg, '--event', 'src/sources/github/fixtures/push.json']);
    assert.equal(r.code, 2);
    assert.match(r.err, /invalid event in src\/sources\/github\/fixtures\/push\.json:\n {2}title: is required/);
    assert.match(r.err, /is not a Herald event \(it has no "title"\)/);
    assert.match(r.err, /herald sources test <source> --payload src\/sources\/github\/fixtures\/push\.json/);
    assert.equal(sink.requests.filter((q) => q.body.includes('Hello-World')).length, 0, 'nothing sent');
  });

  it('plugins and receivers -c list types without the secrets of unrelated config values', async () => {
    const withSecrets = join(dir, 'secrets.yaml');
    writeFileSync(
      withSecrets,
      'receivers:\n  - {name: hook, type: webhook, url: "${HOOK_URL_NOT_SET}", secret: "${HOOK_SECRET_NOT_SET}"}\nroutes: [{receivers: [hook]}]\n',
    );
    const r = await herald(['plugins', '-c', withSecrets]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^webhook\s+1\.0\.0\s+built-in$/m);
    assert.match(r.out, /^source github\s+1\.0\.0\s+built-in$/m);
    assert.match(r.out, /no plugins configured/);
    assert.equal((await herald(['receivers', '-c', withSecrets])).code, 0);
    // A variable inside plugins: is still needed, and named.
    const pluginVar = join(dir, 'plugin-var.yaml');
    writeFileSync(pluginVar, 'plugins: ["${PLUGIN_DIR_NOT_SET}/x"]\n');
    const missing = await herald(['plugins', '-c', pluginVar]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /plugins\[0\]: environment variable PLUGIN_DIR_NOT_SET is not set/);
  });

  it('receivers lists types and prints a JSON Schema', async () => {
    assert.match((await herald(['receivers'])).out, /webhook\s+1\.0\.0\s+built-in/);
    const schema = JSON.parse((await herald(['receivers', '--schema', 'webhook'])).out);
    assert.equal(schema.properties.url.format, 'http-url');
    assert.equal((await herald(['receivers', '--schema', 'carrier-pigeon'])).code, 2);
  });
});

describe('herald CLI, remote commands against a running Herald', () => {
  let dir: string;
  let sink: Sink;
  let proc: HeraldProcess;
  let base: string;
  let cfg: string;
  const TOKEN = 'admin-token-cli-0123456789';
  const HOOK_TOKEN = 'hook-token-cli-0123456789';
  const yaml = (tag: string) => `server: {listen: "127.0.0.1:${port}"}
storage: {url: "sqlite:${join(dir, 'herald.db')}"}
log: {level: info, format: json}
auth: {tokens: [{name: ops, token: "${TOKEN}", scopes: [admin]}]}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 50ms, retry_schedule: [1s]}
sources: [{name: ci, type: generic, token: "${HOOK_TOKEN}"}]
receivers:
  - {name: hook, type: webhook, url: "${sink.url}/in", headers: {x-tag: ${tag}}}
routes: [{receivers: [hook]}]
`;
  let port = 0;
  before(async () => {
    dir = tempDir();
    sink = await startSink();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cfg = join(dir, 'herald.yaml');
    writeFileSync(cfg, yaml('one'));
    proc = runHerald(['serve', '-c', cfg]);
    await waitForHttp(`${base}/healthz`);
  });
  after(async () => {
    await stopProcess(proc);
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const env = () => ({ HERALD_URL: base, HERALD_TOKEN: TOKEN });

  it('send posts an event; without the token it is refused', async () => {
    const ok = await herald(['send', '--title', 'from cli', '--status', 'firing', '--label', 'env=prod'], env());
    assert.equal(ok.code, 0, ok.err);
    assert.equal(JSON.parse(ok.out).ids.length, 1);
    const denied = await herald(['send', '--title', 'x'], { HERALD_URL: base });
    assert.equal(denied.code, 1);
    assert.match(denied.err, /Herald answered 401 unauthorized/);
    const invalid = await herald(['send', '--title', 'x', '--url', 'not a url'], env());
    assert.equal(invalid.code, 1);
    assert.match(invalid.err, /400 invalid_event: url: must be an http\(s\) URL/);
  });

  it('send --hook posts to an HTTP source with its own credentials, from flags or a raw payload file', async () => {
    const auth = `Authorization: Bearer ${HOOK_TOKEN}`;
    const fromFlags = await herald(['send', '--hook', 'ci', '--header', auth, '--title', 'via hook', '--status', 'firing'], env());
    assert.equal(fromFlags.code, 0, fromFlags.err);
    assert.equal(JSON.parse(fromFlags.out).ids.length, 1);
    const file = join(dir, 'payload.json');
    writeFileSync(file, JSON.stringify([{ title: 'raw 1' }, { title: 'raw 2' }]));
    const raw = await herald(['send', '--hook', 'ci', '--header', auth, '--body', file], env());
    assert.equal(raw.code, 0, raw.err);
    assert.equal(JSON.parse(raw.out).ids.length, 2);
    const refused = await herald(['send', '--hook', 'ci', '--title', 'no token'], env());
    assert.equal(refused.code, 1);
    assert.match(refused.err, /Herald answered 401 invalid_signature: missing authorization header/);
    const unknown = await herald(['send', '--hook', 'nope', '--header', auth, '--title', 'x'], env());
    assert.match(unknown.err, /404 not_found: no HTTP source named "nope"/);
    const usage = await herald(['send', '--body', file], env());
    assert.equal(usage.code, 2);
  });

  it('deliveries and replay --dead work through the API', async () => {
    sink.respond = (_req, res) => {
      res.statusCode = 410;
      res.end('gone');
    };
    await herald(['send', '--title', 'will die'], env());
    await eventually(async () => (await herald(['deliveries', '--state', 'dead'], env())).out.includes('dead'), 10_000, 'a dead delivery');
    const list = await herald(['deliveries', '--state', 'dead'], env());
    assert.match(list.out, /dead\s+hook\s+attempts=1 .* error: HTTP 410/);
    sink.respond = (_req, res) => {
      res.end('ok');
    };
    const replay = await herald(['replay', '--dead'], env());
    assert.equal(replay.code, 0, replay.err);
    assert.match(replay.out, /re-queued 1 delivery/);
    await eventually(async () => (await herald(['deliveries', '--state', 'dead'], env())).out.includes('no deliveries'), 10_000, 'no dead deliveries');
    assert.equal((await herald(['replay'], env())).code, 2);
    assert.equal((await herald(['deliveries', '--state', 'bogus'], env())).code, 2, 'usage errors exit 2');
  });

  it('silence add, ls and expire work through the API', async () => {
    const add = await herald(
      ['silence', 'add', '--match', 'severity="critical"', '--match', 'host=~"db-.*"', '--duration', '2h', '--author', 'alice', '--comment', 'db migration'],
      env(),
    );
    assert.equal(add.code, 0, add.err);
    const m = /^silence (\S+) active from \S+ until \S+: severity="critical", host=~"db-\.\*"$/m.exec(add.out);
    assert.ok(m, add.out);
    const id = m[1] as string;
    const ls = await herald(['silence', 'ls'], env());
    assert.equal(ls.code, 0, ls.err);
    assert.match(ls.out, new RegExp(`^${id}  active  api    until \\S+  severity="critical", host=~"db-\\.\\*"  — alice: db migration$`, 'm'));
    const listed = JSON.parse((await herald(['silence', 'ls', '--json'], env())).out);
    assert.deepEqual(
      listed.silences.map((s: { id: string; author: string }) => [s.id, s.author]),
      [[id, 'alice']],
    );

    const expire = await herald(['silence', 'expire', id], env());
    assert.equal(expire.code, 0, expire.err);
    assert.match(expire.out, new RegExp(`expired silence ${id}`));
    assert.match((await herald(['silence', 'ls'], env())).out, /no active or pending silences/);
    assert.match((await herald(['silence', 'ls', '--all'], env())).out, new RegExp(`^${id}  expired api`, 'm'));
    const again = await herald(['silence', 'expire', id], env());
    assert.equal(again.code, 1);
    assert.match(again.err, /409 already_expired/);

    const bad = await herald(['silence', 'add', '--match', 'host=~"("', '--until', '2999-01-01T00:00:00Z', '--author', 'a', '--comment', 'c'], env());
    assert.equal(bad.code, 1);
    assert.match(bad.err, /400 invalid_silence: matchers\[0\]: invalid regex/);
    const usage = await herald(['silence', 'add', '--match', 'a="b"', '--author', 'a', '--comment', 'c'], env());
    assert.equal(usage.code, 2);
    assert.match(usage.err, /give --duration or --until/);
    assert.equal((await herald(['silence', 'add', '--duration', '1h', '--author', 'a', '--comment', 'c'], env())).code, 2, '--match is required');
  });

  it('SIGHUP and `herald reload` apply a new config; a bad one is refused and the old one keeps running', async () => {
    writeFileSync(cfg, yaml('two'));
    proc.child.kill('SIGHUP');
    await eventually(() => proc.output().includes('configuration reloaded'), 10_000, 'reload on SIGHUP');
    await herald(['send', '--title', 'after hup'], env());
    await eventually(() => sink.requests.some((r) => r.headers['x-tag'] === 'two'), 10_000, 'new header in use');

    writeFileSync(cfg, 'receivers: [{name: hook, type: nope}]\n');
    const refused = await herald(['reload'], env());
    assert.equal(refused.code, 1);
    assert.match(refused.err, /400 invalid_config: reload refused, the running configuration stays: .*receivers\[0\]\.type: unknown receiver type "nope"/s);
    proc.child.kill('SIGHUP');
    await eventually(() => proc.output().includes('reload refused'), 10_000, 'SIGHUP refusal logged');
    writeFileSync(cfg, yaml('three'));
    const ok = await herald(['reload'], env());
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /"status": "reloaded"/);
  });

  it('exposes the metrics the docs promise', async () => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    for (const m of [
      /herald_events_received_total\{source="api"\} \d+/,
      /herald_delivery_attempts_total\{receiver="hook",outcome="success",reason="ok"\} \d+/,
      /herald_delivery_attempts_total\{receiver="hook",outcome="dead",reason="client"\} 1/,
      /herald_delivery_attempt_duration_seconds_bucket\{le="0.005",receiver="hook"\} \d+/,
      /herald_queue_depth\{state="succeeded"\} \d+/,
      /herald_queue_depth\{state="dead"\} 0/,
      /herald_queue_oldest_pending_age_seconds \d/,
      /herald_ingest_rejected_total\{reason="invalid_event"\} 1/,
      /herald_process_resident_memory_bytes \d+/,
    ]) {
      assert.match(text, m);
    }
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
  });
});

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

describe('herald.example.yaml with a real `herald serve`: first run, incidents, suppressed deliveries, sources test', () => {
  let dir: string;
  let proc: HeraldProcess;
  let base: string;
  let port = 0;
  let smtpPort = 0;
  const example = join(ROOT, 'herald.example.yaml');
  const env = () => ({ HERALD_URL: base });
  before(async () => {
    dir = tempDir();
    port = await freePort();
    smtpPort = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = runHerald(['serve', '-c', 'herald.example.yaml'], {
      HERALD_LISTEN: `127.0.0.1:${port}`,
      HERALD_SMTP_LISTEN: `127.0.0.1:${smtpPort}`,
      HERALD_STORAGE: `sqlite:${join(dir, 'herald.db')}`,
    });
    await waitForHttp(`${base}/healthz`);
  });
  after(async () => {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  });
  const eventCount = async () => ((await (await fetch(`${base}/api/v1/events?limit=500`)).json()) as { events: unknown[] }).events.length;

  it('serve prints where it listens and the quick-start request', async () => {
    await eventually(() => proc.output().includes('Herald is listening on'), 10_000, 'the banner');
    assert.match(proc.output(), new RegExp(`Herald is listening on http://127\\.0\\.0\\.1:${port} \\(config herald\\.example\\.yaml\\)`));
    assert.match(proc.output(), new RegExp(`curl -sS -X POST http://127\\.0\\.0\\.1:${port}/api/v1/events -H 'content-type: application/json'`));
  });

  it('incidents: list by state, show, ack --by --comment, resolve --by; who did it is recorded and shown', async () => {
    const sent = await herald(
      ['send', '--title', 'Disk 91% on db-1', '--status', 'firing', '--severity', 'warning', '--key', 'disk:db-1', '--label', 'host=db-1'],
      env(),
    );
    assert.equal(sent.code, 0, sent.err);
    await eventually(async () => (await herald(['incidents'], env())).out.includes('disk:db-1'), 10_000, 'the incident');
    const list = await herald(['incidents', '--state', 'firing'], env());
    assert.equal(list.code, 0, list.err);
    const m = /^(\S+) {2}firing {7}incidents {2}disk:db-1 {2}×1 {2}last \S+ {2}Disk 91% on db-1$/m.exec(list.out);
    assert.ok(m, list.out);
    const id = m[1] as string;
    assert.equal((await herald(['incidents', '--state', 'acknowledged'], env())).out.trim(), 'no acknowledged incidents');

    const ack = await herald(['incidents', 'ack', id, '--by', 'alice', '--comment', 'looking into it'], env());
    assert.equal(ack.code, 0, ack.err);
    assert.equal(ack.out.trim(), `acknowledged incident ${id} as alice`);
    assert.match((await herald(['incidents', '--state', 'acknowledged'], env())).out, new RegExp(`^${id} {2}acknowledged .* ack by alice$`, 'm'));
    assert.equal((await herald(['incidents', '--state', 'firing'], env())).out.trim(), 'no firing incidents');
    const again = await herald(['incidents', 'ack', id], env());
    assert.equal(again.code, 1);
    assert.match(again.err, /409 not_firing/);

    const show = await herald(['incidents', 'show', id], env());
    assert.equal(show.code, 0, show.err);
    assert.match(show.out, new RegExp(`^incident ${id}: acknowledged$`, 'm'));
    assert.match(show.out, /^ {2}acknowledged: \S+ by alice — looking into it$/m);
    assert.match(show.out, /^ {2}labels: {7}host=db-1$/m);
    assert.match(show.out, /^events \(1\):\n {2}\S+ {2}\S+ {2}firing {3}warning {2}Disk 91% on db-1$/m);
    assert.match(show.out, /^notifications \(1\):\n {2}\S+ {2}succeeded {2}console {10}attempts=1 {2}at=\S+$/m);

    const resolve = await herald(['incidents', 'resolve', id, '--by', 'bob'], env());
    assert.equal(resolve.code, 0, resolve.err);
    assert.equal(resolve.out.trim(), `resolved incident ${id} as bob`);
    const shown = JSON.parse((await herald(['incidents', 'show', id, '--json'], env())).out);
    assert.equal(shown.state, 'resolved');
    assert.equal(shown.acknowledged_by, 'alice');
    assert.equal(shown.acknowledged_comment, 'looking into it');
    assert.equal(shown.resolved_by, 'bob');
    assert.match((await herald(['incidents', 'show', id], env())).out, /^ {2}resolved: {5}\S+ by bob$/m);

    const bad = await herald(['incidents', 'ack', id, '--by', 'eve\nmallory'], env());
    assert.equal(bad.code, 1);
    assert.match(bad.err, /400 invalid_body: by: /);
    const unknown = await herald(['incidents', 'show', '01NOSUCHINCIDENT000000000'], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /404 not_found: no incident 01NOSUCHINCIDENT000000000/);
    assert.equal((await herald(['incidents', '--state', 'bogus'], env())).code, 2);
  });

  it('deliveries --state suppressed lists what a silence muted, with why; succeeded ones show no next=', async () => {
    const add = await herald(['silence', 'add', '--match', 'host="web-7"', '--duration', '1h', '--author', 'alice', '--comment', 'deploy'], env());
    assert.equal(add.code, 0, add.err);
    const silenceId = (/^silence (\S+) active/.exec(add.out) as RegExpExecArray)[1] as string;
    const sent = await herald(['send', '--title', '5xx on web-7', '--status', 'firing', '--key', 'http:web-7', '--label', 'host=web-7'], env());
    assert.equal(sent.code, 0, sent.err);
    await eventually(async () => (await herald(['deliveries', '--state', 'suppressed'], env())).out.includes('console'), 10_000, 'a suppressed delivery');
    const list = await herald(['deliveries', '--state', 'suppressed'], env());
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`^\\S+ {2}suppressed console {10}attempts=0 {2}at=\\S+ {2}reason: silenced by ${silenceId}$`, 'm'));
    const ok = await herald(['deliveries', '--state', 'succeeded'], env());
    assert.match(ok.out, /succeeded +console +attempts=1 {2}at=/);
    assert.ok(!ok.out.includes('next='), ok.out);
  });

  it('sources test runs a raw mail through the example smtp source and the routes, storing nothing', async () => {
    const before = await eventCount();
    const r = await herald(
      ['sources', 'test', 'mail', '-c', example, '--payload', 'src/sources/smtp/fixtures/jenkins-build-failed.eml', '--to', 'ci+jenkins@localhost'],
      {
        HERALD_SMTP_LISTEN: `127.0.0.1:${smtpPort}`,
      },
    );
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.type, 'smtp');
    assert.equal(out.stored, false);
    assert.match(out.notes.join('\n'), /SMTP answer \(dry run\): 250 /);
    assert.equal(out.events.length, 1);
    assert.equal(out.events[0].event.title, 'Build failed in Jenkins: herald-main #1287');
    assert.equal(out.events[0].event.source, 'ci', 'the mapping of ci@ applies');
    assert.equal(out.events[0].receivers[0].receiver, 'console');
    const relay = await herald(['sources', 'test', 'mail', '-c', example, '--payload', 'src/sources/smtp/fixtures/jenkins-build-failed.eml']);
    assert.equal(relay.code, 1, 'the fixture is addressed to herald.example, which the example does not take');
    assert.match(relay.err, /source "mail" \(smtp\) refused the mail: 550 5\.7\.1/);
    assert.equal(await eventCount(), before, 'nothing stored by the running Herald either');
  });
});
