import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { eventually, tempDir } from './helpers/harness.js';
import { freePort, ROOT, runHerald, stopProcess, waitForHttp } from './helpers/process.js';

it("the README's quick start works as written", { timeout: 60_000 }, async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const curl = /```sh\n(curl -sS -X POST http:\/\/127\.0\.0\.1:9470\/api\/v1\/events[\s\S]*?)\n```/.exec(readme)?.[1];
  assert.ok(curl, 'README has the quick-start curl command');
  const dir = tempDir(t);
  const port = await freePort();
  const smtpPort = await freePort();
  const proc = runHerald(['serve', '--config', 'herald.example.yaml'], {
    HERALD_LISTEN: `127.0.0.1:${port}`,
    HERALD_SMTP_LISTEN: `127.0.0.1:${smtpPort}`,
    HERALD_STORAGE: `sqlite:${join(dir, 'herald.db')}`,
  });
  t.after(() => stopProcess(proc, 'SIGKILL'));
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  const answer = execFileSync('sh', ['-c', curl.replaceAll('127.0.0.1:9470', `127.0.0.1:${port}`)], { encoding: 'utf8' });
  const { ids } = JSON.parse(answer) as { ids: string[] };
  assert.equal(ids.length, 1);
  await eventually(() => proc.output().includes('Deploy finished'), 10_000, 'the log receiver prints the event');
  const list = (await (await fetch(`http://127.0.0.1:${port}/api/v1/events?source=ci`)).json()) as { events: { id: string; title: string }[] };
  assert.deepEqual(
    list.events.map((e) => [e.id, e.title]),
    [[ids[0], 'Deploy finished']],
  );

  // The example's SMTP source: a mail to ci@localhost reaches the log receiver; a relay attempt stores nothing.
  if (process.env.CI === 'true' || existsSync('/usr/bin/swaks')) {
    const swaks = (to: string) =>
      spawnSync(
        'swaks',
        ['--to', to, '--from', 'jenkins@build.example', '--server', `127.0.0.1:${smtpPort}`, '--header', 'Subject: Build 42 failed', '--body', 'see the log'],
        {
          encoding: 'utf8',
          timeout: 15_000,
        },
      );
    const sent = swaks('ci@localhost');
    assert.equal(sent.status, 0, sent.stdout + sent.stderr);
    await eventually(() => proc.output().includes('Build 42 failed'), 10_000, 'the mail reached the log receiver');
    const relay = swaks('someone@example.com');
    assert.notEqual(relay.status, 0);
    assert.match(relay.stdout, /550 5\.7\.1/);
    const mails = (await (await fetch(`http://127.0.0.1:${port}/api/v1/events?source=ci`)).json()) as { events: { title: string }[] };
    assert.deepEqual(mails.events.map((e) => e.title).sort(), ['Build 42 failed', 'Deploy finished']);
  } else {
    t.diagnostic('swaks is not installed (apt-get install swaks): the SMTP part of the quick start was not run');
  }
  assert.equal(await stopProcess(proc), 0);
});
