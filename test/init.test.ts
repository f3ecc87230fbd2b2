import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { startFakeSlack } from './fakes/slack.js';
import { eventually, startSink, tempDir } from './helpers/harness.js';
import { freePort, ROOT, waitForHttp } from './helpers/process.js';

/** The built CLI, run in `cwd` as a user would run `herald` there. */
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const herald = (args: string[], cwd: string) =>
  spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });

async function serve(t: { after(fn: () => Promise<void>): void }, cwd: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [MAIN, 'serve'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.on('exit', r));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  });
  return { child, output: () => out };
}

describe('herald init', () => {
  it('writes a config that passes check-config and delivers to the receivers it was given', { timeout: 60_000 }, async (t) => {
    const dir = tempDir(t);
    const slack = await startFakeSlack();
    t.after(() => slack.close());
    const sink = await startSink();
    t.after(() => sink.close());
    const secret = `whsec_${Buffer.from('a first-run signing key!').toString('base64')}`;
    const verified: { title: string }[] = [];
    sink.respond = (req, res) => {
      try {
        verified.push((new Webhook(secret).verify(req.body, req.headers as Record<string, string>) as { event: { title: string } }).event);
        res.end('ok');
      } catch (err) {
        res.statusCode = 400;
        res.end(String(err));
      }
    };
    const port = await freePort();
    const init = herald(
      [
        'init',
        '--dir',
        'conf',
        '--listen',
        `127.0.0.1:${port}`,
        '--slack-webhook',
        `${slack.url}${slack.webhookPath}`,
        '--webhook-url',
        `${sink.url}/hook`,
        '--webhook-secret',
        secret,
      ],
      dir,
    );
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /wrote .*conf\/herald\.yaml \(receivers: console, slack, webhook/);
    assert.match(init.stdout, /Next:\n {2}cd conf\n {2}herald check-config .*\n {2}herald serve/);
    const cwd = join(dir, 'conf');
    const file = join(cwd, 'herald.yaml');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'receiver credentials: only the owner reads the file');
    assert.match(readFileSync(file, 'utf8'), /^# Herald configuration, written by `herald init`/);

    const check = herald(['check-config'], cwd);
    assert.equal(check.status, 0, check.stderr);
    assert.match(
      check.stdout,
      new RegExp(`herald\\.yaml: ok — 3 receiver\\(s\\), 1 route\\(s\\), storage sqlite:\\./herald\\.db, listen 127\\.0\\.0\\.1:${port}`),
    );

    const server = await serve(t, cwd);
    await waitForHttp(`http://127.0.0.1:${port}/readyz`).catch((err) => assert.fail(`${err}\n${server.output()}`));
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Hello from Herald', status: 'firing', severity: 'warning' }),
    });
    assert.equal(res.status, 202, await res.text());
    await eventually(() => slack.accepted.length === 1 && verified.length === 1, 15_000, 'one Slack message and one signed webhook');
    assert.equal(slack.rejected.length, 0);
    assert.match(JSON.stringify(slack.accepted[0]?.body), /Hello from Herald/);
    assert.equal(verified[0]?.title, 'Hello from Herald');
    assert.ok(existsSync(join(cwd, 'herald.db')), 'the SQLite file lives where Herald runs');
  });

  it('listening beyond loopback, it writes an admin token so the config starts', (t) => {
    const dir = tempDir(t);
    const init = herald(['init', '--listen', '0.0.0.0:9470', '--pagerduty-routing-key', 'R0123456789abcdefR0123456789abcd'], dir);
    assert.equal(init.status, 0, init.stderr);
    assert.match(init.stdout, /needs a bearer token: the admin token is in auth\.tokens/);
    assert.match(readFileSync(join(dir, 'herald.yaml'), 'utf8'), /tokens:\n {4}- \{ name: admin, token: "[A-Za-z0-9_-]{32}", scopes: \[admin\] \}/);
    const check = herald(['check-config'], dir);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /2 receiver\(s\).*listen 0\.0\.0\.0:9470/);
  });

  const refused: [string, string[], RegExp][] = [
    ['a Slack URL that is no URL', ['--slack-webhook', 'hooks.slack.com/x'], /--slack-webhook "hooks\.slack\.com\/x": not a URL/],
    ['a webhook URL that is not http(s)', ['--webhook-url', 'file:///etc/passwd'], /--webhook-url "file:\/\/\/etc\/passwd": only http:\/\/ and https:\/\//],
    ['a malformed signing key', ['--webhook-url', 'https://example.com/h', '--webhook-secret', 'hunter2'], /--webhook-secret: expected whsec_/],
    ['a signing key without a URL', ['--webhook-secret', 'whsec_aGVsbG8='], /--webhook-secret needs --webhook-url/],
    ['a PagerDuty key of the wrong shape', ['--pagerduty-routing-key', 'abc'], /--pagerduty-routing-key: expected the 32-character integration key/],
    ['a listen address without a port', ['--listen', '127.0.0.1'], /--listen "127\.0\.0\.1": expected host:port/],
  ];
  for (const [name, flags, error] of refused) {
    it(`refuses ${name}, writing nothing`, (t) => {
      const dir = tempDir(t);
      const res = herald(['init', ...flags], dir);
      assert.equal(res.status, 2, res.stdout);
      assert.match(res.stderr, error);
      assert.equal(existsSync(join(dir, 'herald.yaml')), false);
    });
  }

  it('never overwrites a config unless --force', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'herald.yaml'), 'receivers: []\n');
    const res = herald(['init'], dir);
    assert.equal(res.status, 2);
    assert.match(res.stderr, /herald\.yaml exists; pass --force to overwrite it/);
    assert.equal(readFileSync(join(dir, 'herald.yaml'), 'utf8'), 'receivers: []\n');
    assert.equal(herald(['init', '--force'], dir).status, 0);
    assert.match(readFileSync(join(dir, 'herald.yaml'), 'utf8'), /written by `herald init`/);
  });
});
