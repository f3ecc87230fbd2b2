import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
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
