import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { eventually, type Sink, startSink, tempDir } from './helpers/harness.js';
import { freePort, ROOT, waitForHttp } from './helpers/process.js';

/**
 * Herald as a user installs it: both packages packed as `npm publish` would,
 * installed with plain npm into an empty project (scripts/runtime-project.mjs +
 * `npm ci --omit=dev`, the very steps of the Dockerfile), then run with `npx
 * herald`. Offline: npm installs only from the tarballs and its cache, and
 * better-sqlite3 builds from source instead of trying to download a binary.
 * Slow (a native build), so everything shares one install.
 */
const NPM_FLAGS = ['--offline', '--no-audit', '--no-fund', '--loglevel=error'];
const ENV = { ...process.env, NODE_OPTIONS: '', npm_config_build_from_source: 'true', npm_config_update_notifier: 'false' };
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

let work = '';
let app = '';
const cleanups: (() => void)[] = [];

const npm = (args: string[], cwd: string) => execFileSync('npm', [...args, ...NPM_FLAGS], { cwd, env: ENV, encoding: 'utf8', stdio: 'pipe' });
const npx = (args: string[]) => execFileSync('npx', ['--offline', 'herald', ...args], { cwd: app, env: ENV, encoding: 'utf8', stdio: 'pipe' });

/** `npx herald serve` in its own process group (npx runs herald through a shell), stopped by that group's id. */
async function serve(config: string, port: number): Promise<{ stop(): Promise<void>; output(): string }> {
  const child: ChildProcess = spawn('npx', ['--offline', 'herald', 'serve', '-c', config], {
    cwd: app,
    env: ENV,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise((r) => child.on('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGTERM');
    await exited;
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${out}`);
  }
  return { stop, output: () => out };
}

async function post(port: number, title: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title, status: 'firing' }),
  });
  assert.equal(res.status, 202, await res.text());
}

/** What the Dockerfile's runtime stage runs: its ENV, config COPY, WORKDIR, HEALTHCHECK and ENTRYPOINT. */
function dockerfileRuntime(): { env: Record<string, string>; config: [string, string]; workdir: string; healthcheck: string[]; entrypoint: string[] } {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, k, v] of (/^ENV (.+)$/m.exec(runtime)?.[1] ?? '').matchAll(/(\w+)=(\S+)/g)) env[k as string] = v as string;
  const copy = /^COPY (deploy\/\S+) (\S+)$/m.exec(runtime);
  const json = (re: RegExp) => JSON.parse(re.exec(runtime)?.[1] ?? 'null') as string[];
  assert.ok(copy, 'the runtime stage copies its config from deploy/');
  return {
    env,
    config: [copy[1] as string, copy[2] as string],
    workdir: /^WORKDIR (\S+)$/m.exec(runtime)?.[1] as string,
    healthcheck: json(/^HEALTHCHECK .* CMD (\[.+\])$/m),
    entrypoint: json(/^ENTRYPOINT (\[.+\])$/m),
  };
}

function pluginConfig(name: string, port: number, sink: Sink): string {
  const file = join(app, name);
  writeFileSync(
    file,
    `server: {listen: "127.0.0.1:${port}"}
storage: {url: "sqlite:./${name}.db"}
outbound: {allow: ["127.0.0.1/32"]}
plugins: [herald-plugin-example]
receivers: [{name: phone, type: ntfy-example, server: "${sink.url}", topic: alerts}]
routes: [{receivers: [phone]}]
`,
  );
  return name;
}

describe('the packed packages, installed with npm into an empty project', { timeout: 900_000 }, () => {
  before(
    () => {
      work = tempDir({ after: (fn) => cleanups.push(fn) });
      const pack = (dir: string) => join(work, npm(['pack', '--ignore-scripts', '--pack-destination', work], dir).trim().split('\n').at(-1) as string);
      const herald = pack(ROOT);
      const sdk = pack(join(ROOT, 'packages/sdk'));
      app = join(work, 'app');
      execFileSync(process.execPath, [join(ROOT, 'scripts/runtime-project.mjs'), app, herald, sdk], { stdio: 'pipe' });
      npm(['ci', '--omit=dev'], app);
    },
    { timeout: 900_000 },
  );
  after(() => {
    for (const fn of cleanups) fn();
  });

  it('npx herald --version', () => {
    assert.equal(npx(['--version']).trim(), VERSION);
  });

  it('npx herald init, check-config and serve: /readyz answers and the receiver init was given gets the event', async (t) => {
    const sink = await startSink();
    t.after(() => sink.close());
    const secret = `whsec_${Buffer.from('installed-package-key').toString('base64')}`;
    const verified: { title: string }[] = [];
    sink.respond = (req, res) => {
      verified.push((new Webhook(secret).verify(req.body, req.headers as Record<string, string>) as { event: { title: string } }).event);
      res.end('ok');
    };
    const port = await freePort();
    assert.match(npx(['init', '--listen', `127.0.0.1:${port}`, '--webhook-url', `${sink.url}/hook`, '--webhook-secret', secret]), /wrote .*herald\.yaml/);
    assert.match(npx(['check-config']), new RegExp(`herald\\.yaml: ok — 2 receiver\\(s\\).*listen 127\\.0\\.0\\.1:${port}`));
    const server = await serve('herald.yaml', port);
    t.after(() => server.stop());
    await post(port, 'installed and running');
    await eventually(() => verified.length === 1, 15_000, 'the signed webhook');
    assert.equal(verified[0]?.title, 'installed and running');
  });

  it("the container's entrypoint, default config and HEALTHCHECK, from the Dockerfile, run on this install", async () => {
    const image = dockerfileRuntime();
    const data = join(work, 'data');
    mkdirSync(data);
    // The image's paths, mapped into this project; inside the container 0.0.0.0 is its own
    // network namespace, here the test listens on loopback only.
    const map = (v: string) =>
      v
        .replaceAll('/opt/herald', app)
        .replace(image.config[1], join(ROOT, image.config[0]))
        .replace(/(^|:)\/data\//, `$1${data}/`);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...ENV,
      ...Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, map(v)])),
      HERALD_LISTEN: `127.0.0.1:${port}`,
    };
    assert.equal(env.HERALD_STORAGE, `sqlite:${data}/herald.db`);
    const [cmd, ...args] = image.entrypoint.map(map);
    const run = (extra: Record<string, string>) =>
      spawn(cmd as string, args, { cwd: image.workdir === '/data' ? data : app, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const health = () => spawnSync(map(image.healthcheck[0] as string), image.healthcheck.slice(1), { env, timeout: 10_000 }).status;

    // No token: the image refuses to start open on 0.0.0.0, naming what is missing.
    const refused = run({});
    let err = '';
    refused.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    assert.equal(await new Promise((r) => refused.on('exit', r)), 2);
    assert.match(err, /HERALD_ADMIN_TOKEN/);

    assert.equal(health(), 1, 'unhealthy while nothing listens');
    const child = run({ HERALD_ADMIN_TOKEN: 'container-admin-token-0123456789' });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, 30_000);
      assert.equal(health(), 0, 'HEALTHCHECK passes once ready');
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer container-admin-token-0123456789' },
        body: JSON.stringify({ title: 'in the container', status: 'info' }),
      });
      assert.equal(res.status, 202, await res.text());
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, 'a graceful stop');
    }
    assert.ok(lstatSync(join(data, 'herald.db')).isFile(), 'state on the /data volume');
  });

  it('the systemd unit in deploy/ verifies, with ExecStart pointing at this install', (t) => {
    if (spawnSync('systemd-analyze', ['--version']).error) {
      if (process.env.CI === 'true') assert.fail('systemd-analyze is missing');
      return t.skip('systemd-analyze is not installed');
    }
    const unit = join(work, 'herald.service');
    writeFileSync(unit, readFileSync(join(ROOT, 'deploy/herald.service'), 'utf8').replaceAll('/opt/herald', app));
    const res = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    // verify exits 0 on settings it ignores; anything it says is a mistake in the unit.
    assert.equal(res.status, 0, res.stderr);
    assert.equal(res.stderr.trim(), '');
    const text = readFileSync(unit, 'utf8');
    for (const option of ['DynamicUser=yes', 'ProtectSystem=strict', 'StateDirectory=herald', 'NoNewPrivileges=yes'])
      assert.ok(text.includes(`\n${option}\n`), option);
  });

  it('a plugin in a sibling folder, installed with npm install ../plugin, is listed by herald plugins and delivers', async (t) => {
    const plugin = join(work, 'plugin');
    cpSync(join(ROOT, 'examples/herald-plugin-example'), plugin, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    // The author's own `npm install` put a second SDK there; Herald must not load it.
    const foreign = join(plugin, 'node_modules/@herald/sdk');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'package.json'), JSON.stringify({ name: '@herald/sdk', version: '0.1.0', type: 'module', exports: './index.js' }));
    writeFileSync(join(foreign, 'index.js'), "throw new Error('the plugin loaded its own copy of @herald/sdk');\n");
    npm(['install', '../plugin'], app);
    assert.ok(lstatSync(join(app, 'node_modules/herald-plugin-example')).isSymbolicLink(), 'npm links a folder');

    const sink = await startSink();
    t.after(() => sink.close());
    const port = await freePort();
    const config = pluginConfig('sibling.yaml', port, sink);
    assert.match(npx(['plugins', '-c', config]), /ntfy-example\s+1\.0\.0\s+herald-plugin-example@1\.0\.0/);
    const server = await serve(config, port);
    t.after(() => server.stop());
    await post(port, 'from a linked plugin');
    await eventually(() => sink.requests.length === 1, 15_000, 'the ntfy message');
    assert.deepEqual(
      { ...JSON.parse(sink.requests[0]?.body ?? '{}'), message: undefined },
      { topic: 'alerts', title: 'from a linked plugin', message: undefined, priority: 4, tags: ['firing'] },
    );
  });

  it('the same plugin as a tarball (npm install ./plugin.tgz) replaces the link, is listed and delivers', async (t) => {
    const source = join(work, 'plugin-1.1.0');
    cpSync(join(ROOT, 'examples/herald-plugin-example'), source, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    const pkg = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
    writeFileSync(join(source, 'package.json'), JSON.stringify({ ...pkg, version: '1.1.0' }));
    const tarball = npm(['pack', '--ignore-scripts', '--pack-destination', work], source).trim().split('\n').at(-1) as string;
    npm(['install', join(work, tarball)], app);
    assert.ok(!lstatSync(join(app, 'node_modules/herald-plugin-example')).isSymbolicLink(), 'unpacked, not linked');

    const sink = await startSink();
    t.after(() => sink.close());
    const port = await freePort();
    const config = pluginConfig('tarball.yaml', port, sink);
    assert.match(npx(['plugins', '-c', config]), /ntfy-example\s+1\.0\.0\s+herald-plugin-example@1\.1\.0/);
    const server = await serve(config, port);
    t.after(() => server.stop());
    await post(port, 'from a packed plugin');
    await eventually(() => sink.requests.length === 1, 15_000, 'the ntfy message');
    assert.equal(JSON.parse(sink.requests[0]?.body ?? '{}').title, 'from a packed plugin');
  });
});
