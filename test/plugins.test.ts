import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Herald } from '../src/app/herald.js';
import { loadConfigAndPlugins } from '../src/app/load-config.js';
import { createLogger } from '../src/lib/logger.js';
import { PluginError } from '../src/plugins/errors.js';
import { drain, eventually, memoryLog, startSink, tempDir } from './helpers/harness.js';
import { HERALD_BIN, ROOT } from './helpers/process.js';

const EXAMPLE = join(ROOT, 'examples/herald-plugin-example');

/** "Installs" the example into a temp project, as `npm install ./examples/herald-plugin-example` would. */
function install(dir: string): string {
  const target = join(dir, 'plugins/herald-plugin-example');
  cpSync(EXAMPLE, target, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  // The host project provides the peer dependency, as an installed Herald does.
  mkdirSync(join(dir, 'node_modules/@herald'), { recursive: true });
  symlinkSync(join(ROOT, 'packages/sdk'), join(dir, 'node_modules/@herald/sdk'), 'dir');
  return target;
}

/**
 * Packs the example as `npm publish` would (its `files` list decides what ships),
 * optionally as a newer version, and installs it with npm into a host project
 * that provides the SDK peer. --offline: tests never reach a registry.
 */
function npmInstall(dir: string, version?: { version: string; prefix: string }): void {
  const source = join(dir, `pack-src-${version?.version ?? 'orig'}`);
  cpSync(EXAMPLE, source, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
  if (version) bump(source, version.version, version.prefix);
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd, stdio: 'pipe' }).toString();
  const tarball = npm(['pack', '--pack-destination', dir], source).trim().split('\n').at(-1) as string;
  if (!version) writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'herald-host', private: true }));
  npm(['install', join(ROOT, 'packages/sdk'), join(dir, tarball)], dir);
}

function bump(pluginDir: string, version: string, prefix: string): void {
  const pkgFile = join(pluginDir, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  writeFileSync(pkgFile, JSON.stringify({ ...pkg, version }, null, 2));
  const code = readFileSync(join(pluginDir, 'index.js'), 'utf8')
    .replace(/const TITLE_PREFIX = '.*';/, `const TITLE_PREFIX = '${prefix}';`)
    .replace(/version: '[^']+'/, `version: '${version}'`);
  writeFileSync(join(pluginDir, 'index.js'), code);
}

describe('third-party plugins', () => {
  it('a plugin installed with npm loads by config, delivers, and an upgrade is picked up by reload with nothing lost or sent twice', {
    timeout: 60_000,
  }, async (t) => {
    const dir = tempDir(t);
    npmInstall(dir);
    assert.deepEqual(readdirSync(join(dir, 'node_modules/herald-plugin-example')).sort(), ['README.md', 'index.d.ts', 'index.js', 'package.json']);
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (_req, res) => {
      setTimeout(() => res.end('{"id":"x"}'), 5);
    };
    const cfg = join(dir, 'herald.yaml');
    writeFileSync(
      cfg,
      `plugins: [herald-plugin-example]
storage: {url: "sqlite:${join(dir, 'h.db')}"}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers:
  - {name: phone, type: ntfy-example, server: "${sink.url}", topic: alerts, concurrency: 4}
routes: [{receivers: [phone]}]
`,
    );
    const loaded = await loadConfigAndPlugins(cfg);
    assert.deepEqual(
      loaded.plugins.map((p) => [p.name, p.version, p.receivers]),
      [['herald-plugin-example', '1.0.0', ['ntfy-example']]],
    );
    assert.equal(loaded.registry.get('ntfy-example')?.origin, 'herald-plugin-example@1.0.0');
    const { destination } = memoryLog();
    const herald = await Herald.start({ ...loaded, log: createLogger({ level: 'warn', format: 'json', destination }), listen: false });
    t.after(() => herald.stop());

    // Keep sending while the plugin is upgraded and reloaded.
    const ids: string[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending && i < 2000; i++) {
        const res = await herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title: `n${i}`, status: 'firing' } });
        ids.push(...(res.json() as { ids: string[] }).ids);
        // Real spacing: the sends must overlap the real npm install and reload below.
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    await eventually(() => sink.requests.length >= 20, 10_000, 'deliveries through v1.0.0');
    npmInstall(dir, { version: '1.1.0', prefix: 'v1.1 ' });
    await herald.reload();
    assert.equal(
      (await herald.server.inject({ method: 'GET', url: '/api/v1/receiver-types' }))
        .json()
        .receiver_types.find((r: { type: string }) => r.type === 'ntfy-example').origin,
      'herald-plugin-example@1.1.0',
    );
    await eventually(() => sink.requests.some((r) => JSON.parse(r.body).title.startsWith('v1.1 ')), 10_000, 'deliveries through v1.1.0');
    sending = false;
    await sender;
    await eventually(() => sink.requests.length >= ids.length, 20_000, 'everything delivered');
    await drain({ herald });
    const titles = sink.requests.map((r) => JSON.parse(r.body).title.replace(/^v1\.1 /, '') as string);
    assert.equal(titles.length, ids.length, 'nothing sent twice');
    assert.equal(new Set(titles).size, ids.length, 'nothing lost');
    const versions = new Set(sink.requests.map((r) => (JSON.parse(r.body).title.startsWith('v1.1 ') ? '1.1.0' : '1.0.0')));
    assert.deepEqual([...versions].sort(), ['1.0.0', '1.1.0']);
  });

  it('a plugin linked from a sibling folder (npm install ../plugin) runs on the SDK Herald runs, not on its own dev copy', {
    timeout: 60_000,
  }, async (t) => {
    const dir = tempDir(t);
    const plugin = join(dir, 'plugin');
    cpSync(EXAMPLE, plugin, { recursive: true, filter: (src) => !src.endsWith('.test.ts') });
    // What `npm install` in the plugin's own folder leaves there: npm installs peers, so the
    // author has a second @herald/sdk. Herald must never load it; this one says so if it is.
    const foreign = join(plugin, 'node_modules/@herald/sdk');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'package.json'), JSON.stringify({ name: '@herald/sdk', version: '0.1.0', type: 'module', exports: './index.js' }));
    writeFileSync(join(foreign, 'index.js'), "throw new Error('the plugin loaded its own copy of @herald/sdk');\n");
    const host = join(dir, 'host');
    mkdirSync(host);
    writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'herald-host', private: true }));
    // No SDK in the host project at all: only Herald's own can answer the plugin's import.
    execFileSync('npm', ['install', '../plugin', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { cwd: host, stdio: 'pipe' });
    assert.ok(lstatSync(join(host, 'node_modules/herald-plugin-example')).isSymbolicLink(), 'npm links a folder install');
    const sink = await startSink();
    t.after(() => sink.close());
    sink.respond = (req, res) => {
      // A 400 is permanent only when the plugin's DeliveryError is the class Herald checks with instanceof.
      res.statusCode = JSON.parse(req.body).title === 'bad' ? 400 : 200;
      res.end('{}');
    };
    const cfg = join(host, 'herald.yaml');
    writeFileSync(
      cfg,
      `plugins: [herald-plugin-example]
storage: {url: "sqlite:${join(dir, 'h.db')}"}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms, retry_schedule: [10s, 10s]}
receivers: [{name: phone, type: ntfy-example, server: "${sink.url}", topic: alerts}]
routes: [{receivers: [phone]}]
`,
    );
    const loaded = await loadConfigAndPlugins(cfg);
    assert.equal(loaded.registry.get('ntfy-example')?.origin, 'herald-plugin-example@1.0.0');
    const { destination } = memoryLog();
    const herald = await Herald.start({ ...loaded, log: createLogger({ level: 'warn', format: 'json', destination }), listen: false });
    t.after(() => herald.stop());
    for (const title of ['disk full', 'bad']) {
      const res = await herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title, status: 'firing' } });
      assert.equal(res.statusCode, 202, res.body);
    }
    await eventually(() => sink.requests.length >= 2, 10_000, 'both delivered once');
    assert.deepEqual(sink.requests.map((r) => JSON.parse(r.body).title).sort(), ['bad', 'disk full']);
    await eventually(
      async () => (await herald.server.inject({ method: 'GET', url: '/api/v1/deliveries?state=dead' })).json().deliveries.length === 1,
      10_000,
      'the 400 dead at once, not retried as an unknown error',
    );
  });

  it('a reload after an upgrade re-imports every module of the plugin, not only its entry file', { timeout: 60_000 }, async (t) => {
    const dir = tempDir(t);
    const plugin = join(dir, 'plugins/two-module');
    const write = (version: string, prefix: string) => {
      mkdirSync(join(plugin, 'lib'), { recursive: true });
      const pkg = JSON.parse(readFileSync(join(EXAMPLE, 'package.json'), 'utf8'));
      writeFileSync(join(plugin, 'package.json'), JSON.stringify({ ...pkg, name: 'herald-plugin-two', version }));
      // Only the second module changes its behaviour between versions.
      writeFileSync(join(plugin, 'lib/prefix.js'), `export const PREFIX = '${prefix}';\n`);
      writeFileSync(
        join(plugin, 'index.js'),
        readFileSync(join(EXAMPLE, 'index.js'), 'utf8')
          .replace(/const TITLE_PREFIX = '.*';/, "import { PREFIX as TITLE_PREFIX } from './lib/prefix.js';")
          .replace(/version: '[^']+'/, `version: '${version}'`),
      );
    };
    write('1.0.0', 'one: ');
    const sink = await startSink();
    t.after(() => sink.close());
    const cfg = join(dir, 'herald.yaml');
    writeFileSync(
      cfg,
      `plugins: [./plugins/two-module]
storage: {url: "sqlite:${join(dir, 'h.db')}"}
outbound: {allow: ["127.0.0.0/8"]}
delivery: {poll_interval: 20ms}
receivers: [{name: phone, type: ntfy-example, server: "${sink.url}", topic: alerts}]
routes: [{receivers: [phone]}]
`,
    );
    const { destination } = memoryLog();
    const herald = await Herald.start({
      ...(await loadConfigAndPlugins(cfg)),
      log: createLogger({ level: 'warn', format: 'json', destination }),
      listen: false,
    });
    t.after(() => herald.stop());
    const send = async (title: string) =>
      assert.equal((await herald.server.inject({ method: 'POST', url: '/api/v1/events', payload: { title, status: 'firing' } })).statusCode, 202);
    await send('a');
    await eventually(() => sink.requests.length === 1, 10_000, 'v1 delivery');
    write('1.1.0', 'two: ');
    await herald.reload();
    await send('b');
    await eventually(() => sink.requests.length === 2, 10_000, 'v1.1 delivery');
    assert.deepEqual(
      sink.requests.map((r) => JSON.parse(r.body).title),
      ['one: a', 'two: b'],
    );
  });

  const broken: [string, (pkg: Record<string, unknown>) => Record<string, unknown>, string | undefined, RegExp][] = [
    [
      'no manifest',
      ({ herald: _h, ...rest }) => rest,
      undefined,
      /HERALD_ERR_PLUGIN_NO_MANIFEST: plugin herald-plugin-example: package\.json has no "herald" block/,
    ],
    [
      'a future API version',
      (p) => ({ ...p, herald: { apiVersion: 2, receivers: ['./index.js'] } }),
      undefined,
      /HERALD_ERR_PLUGIN_API_VERSION: plugin herald-plugin-example: declares apiVersion 2; this Herald supports 1/,
    ],
    [
      'an SDK range it does not meet',
      (p) => ({ ...p, peerDependencies: { '@herald/sdk': '^2.0.0' } }),
      undefined,
      /HERALD_ERR_PLUGIN_SDK_RANGE: plugin herald-plugin-example: needs @herald\/sdk \^2\.0\.0; this Herald has 0\.1\.0/,
    ],
    [
      'a missing module',
      (p) => ({ ...p, herald: { apiVersion: 1, receivers: ['./nope.js'] } }),
      undefined,
      /HERALD_ERR_PLUGIN_IMPORT: plugin herald-plugin-example: cannot import \.\/nope\.js/,
    ],
    [
      'a type that collides with a built-in',
      (p) => p,
      "type: 'webhook'",
      /HERALD_ERR_PLUGIN_DUPLICATE_TYPE: plugin herald-plugin-example: receiver type "webhook" from herald-plugin-example@1\.0\.0 is already registered by built-in/,
    ],
    [
      'an invalid definition',
      (p) => p,
      "version: 'not-semver'",
      /HERALD_ERR_PLUGIN_INVALID_DEFINITION: plugin herald-plugin-example: version must be a semver version/,
    ],
  ];
  for (const [name, editPkg, codeEdit, error] of broken) {
    it(`refuses a plugin with ${name}, naming the package`, async (t) => {
      const dir = tempDir(t);
      const pluginDir = install(dir);
      const pkgFile = join(pluginDir, 'package.json');
      writeFileSync(pkgFile, JSON.stringify(editPkg(JSON.parse(readFileSync(pkgFile, 'utf8')))));
      if (codeEdit) {
        const file = join(pluginDir, 'index.js');
        const src = readFileSync(file, 'utf8');
        writeFileSync(file, codeEdit.startsWith('type') ? src.replace("type: 'ntfy-example'", codeEdit) : src.replace("version: '1.0.0'", codeEdit));
      }
      writeFileSync(join(dir, 'herald.yaml'), 'plugins: [./plugins/herald-plugin-example]\n');
      await assert.rejects(loadConfigAndPlugins(join(dir, 'herald.yaml')), (err: unknown) => err instanceof PluginError && error.test(err.message));
    });
  }

  it('refuses a package that is not installed', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'herald.yaml'), 'plugins: [herald-plugin-nonexistent]\n');
    await assert.rejects(loadConfigAndPlugins(join(dir, 'herald.yaml')), /HERALD_ERR_PLUGIN_NOT_FOUND: plugin herald-plugin-nonexistent: not installed/);
  });

  it('`herald plugins` lists every type with its origin and version', async (t) => {
    const dir = tempDir(t);
    install(dir);
    writeFileSync(join(dir, 'herald.yaml'), 'plugins: [./plugins/herald-plugin-example]\n');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [...HERALD_BIN, 'plugins', '-c', join(dir, 'herald.yaml')], { cwd: ROOT }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    assert.match(out, /ntfy-example\s+1\.0\.0\s+herald-plugin-example@1\.0\.0/);
    assert.match(out, /webhook\s+1\.0\.0\s+built-in/);
    const listed = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [...HERALD_BIN, 'receivers', '-c', join(dir, 'herald.yaml')], { cwd: ROOT }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    assert.match(listed, /ntfy-example\s+1\.0\.0\s+herald-plugin-example@1\.0\.0\s+ntfy/);
  });

  it('a plugin can ship a source: loaded by config, listed by `herald plugins`, answering at /hooks/<name>', async (t) => {
    const dir = tempDir(t);
    install(dir);
    const pluginDir = join(dir, 'plugins/herald-plugin-acme');
    mkdirSync(pluginDir, { recursive: true });
    writeFileSync(
      join(pluginDir, 'package.json'),
      JSON.stringify({
        name: 'herald-plugin-acme',
        version: '2.1.0',
        type: 'module',
        herald: { apiVersion: 1, sources: ['./source.js'] },
        peerDependencies: { '@herald/sdk': '^0.1.0' },
      }),
    );
    writeFileSync(
      join(pluginDir, 'source.js'),
      `import { defineSource, jsonBody, requireHmac, Secret, Type } from '@herald/sdk';
export default defineSource({
  type: 'acme-ci',
  version: '2.1.0',
  displayName: 'Acme CI',
  config: Type.Object({ secret: Secret() }, { additionalProperties: false }),
  create(config) {
    return {
      kind: 'http',
      handle(req) {
        requireHmac(req, 'X-Acme-Signature', { secret: config.secret, prefix: 'sha256=' });
        const build = jsonBody(req);
        return { events: [{ title: build.project + ' ' + build.result, status: build.result === 'failed' ? 'firing' : 'resolved', key: 'acme:' + build.project }], deliveryId: req.headers['x-acme-delivery'] };
      },
    };
  },
});
`,
    );
    const cfg = join(dir, 'herald.yaml');
    writeFileSync(
      cfg,
      `plugins: [./plugins/herald-plugin-acme]
storage: {url: "sqlite:${join(dir, 'h.db')}"}
sources: [{name: acme, type: acme-ci, secret: acme-secret}]
receivers: [{name: c, type: log}]
routes: [{receivers: [c]}]
`,
    );
    const loaded = await loadConfigAndPlugins(cfg);
    assert.deepEqual(
      loaded.plugins.map((p) => [p.name, p.sources]),
      [['herald-plugin-acme', ['acme-ci']]],
    );
    assert.equal(loaded.registry.sources.get('acme-ci')?.origin, 'herald-plugin-acme@2.1.0');
    const { destination } = memoryLog();
    const herald = await Herald.start({ ...loaded, log: createLogger({ level: 'warn', format: 'json', destination }), listen: false });
    t.after(() => herald.stop());
    const body = JSON.stringify({ project: 'api', result: 'failed' });
    const { createHmac } = await import('node:crypto');
    const sig = `sha256=${createHmac('sha256', 'acme-secret').update(body).digest('hex')}`;
    const res = await herald.server.inject({
      method: 'POST',
      url: '/hooks/acme',
      payload: body,
      headers: { 'content-type': 'application/json', 'x-acme-signature': sig },
    });
    assert.equal(res.statusCode, 202, res.body);
    const bad = await herald.server.inject({
      method: 'POST',
      url: '/hooks/acme',
      payload: body,
      headers: { 'content-type': 'application/json', 'x-acme-signature': 'sha256=00' },
    });
    assert.equal(bad.statusCode, 401);
    const events = (await herald.server.inject({ method: 'GET', url: '/api/v1/events' })).json().events;
    assert.deepEqual(
      events.map((e: { title: string; source: string; key: string }) => [e.title, e.source, e.key]),
      [['api failed', 'acme', 'acme:api']],
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [...HERALD_BIN, 'plugins', '-c', cfg], { cwd: ROOT }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    assert.match(out, /source\s+acme-ci\s+2\.1\.0\s+herald-plugin-acme@2\.1\.0/);
    assert.match(out, /source\s+github\s+1\.0\.0\s+built-in/);
  });
});
