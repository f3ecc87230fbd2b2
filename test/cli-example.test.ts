import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, tempDir } from './helpers/harness.js';
import { freePort, HERALD_BIN, type HeraldProcess, ROOT, runHerald, stopProcess, waitForHttp } from './helpers/process.js';

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
    assert.match(proc.output(), new RegExp(`web console: http://127\\.0\\.0\\.1:${port}/ `), 'and where the console is');
  });

  it('incidents: list by state, show, ack --by --comment, resolve --by; who did it is recorded and shown', async () => {
    const sent = await herald(
      ['send', '--title', 'Disk 91% on db-1', '--status', 'firing', '--severity', 'warning', '--key', 'disk:db-1', '--label', 'host=db-1'],
      env(),
    );
    assert.equal(sent.code, 0, sent.err);
    // Waits through the API (cheap); the CLI is what is under test below.
    await eventually(async () => JSON.stringify(await (await fetch(`${base}/api/v1/incidents`)).json()).includes('disk:db-1'), 10_000, 'the incident');
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
    await eventually(
      async () => ((await (await fetch(`${base}/api/v1/deliveries?state=suppressed`)).json()) as { deliveries: unknown[] }).deliveries.length > 0,
      10_000,
      'a suppressed delivery',
    );
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
