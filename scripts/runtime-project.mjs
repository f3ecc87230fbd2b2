#!/usr/bin/env node
/**
 * Lays out the project that runs Herald from its packed tarballs: the container
 * image's /opt/herald (Dockerfile) and the packaging test's temporary project
 * (test/install.test.ts) are both made by this script, so the test installs
 * exactly what the image runs.
 *
 *   node scripts/runtime-project.mjs DIR HERALD_TGZ SDK_TGZ
 *   cd DIR && npm ci --omit=dev
 *
 * It copies the two tarballs into DIR and writes a package.json that depends on
 * them (what `npm install ./herald-*.tgz ./herald-sdk-*.tgz` writes) and a
 * package-lock.json that pins every other package to the version this
 * repository's lock tested. `npm ci` then installs nothing untested, and needs
 * only tarballs (by integrity) — no registry metadata — so it also runs offline
 * from the npm cache.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [dir, heraldTgz, sdkTgz] = process.argv.slice(2);
if (!dir || !heraldTgz || !sdkTgz) {
  console.error('usage: node scripts/runtime-project.mjs DIR HERALD_TGZ SDK_TGZ');
  process.exit(2);
}

const manifest = (tgz) => JSON.parse(execFileSync('tar', ['-xOzf', tgz, 'package/package.json'], { encoding: 'utf8' }));
const integrity = (tgz) => `sha512-${createHash('sha512').update(readFileSync(tgz)).digest('base64')}`;

const herald = manifest(heraldTgz);
const sdk = manifest(sdkTgz);
if (herald.name !== 'herald' || sdk.name !== '@herald/sdk') {
  console.error(`expected the herald and @herald/sdk tarballs, got ${herald.name} and ${sdk.name}`);
  process.exit(2);
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
const rootPkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

mkdirSync(dir, { recursive: true });
const files = { herald: basename(heraldTgz), '@herald/sdk': basename(sdkTgz) };
copyFileSync(heraldTgz, join(dir, files.herald));
copyFileSync(sdkTgz, join(dir, files['@herald/sdk']));

const dependencies = { '@herald/sdk': `file:${files['@herald/sdk']}`, herald: `file:${files.herald}` };
const pkg = {
  name: 'herald-runtime',
  private: true,
  description: 'Runs the herald package (herald serve); made by scripts/runtime-project.mjs.',
  dependencies,
  // The root project's overrides (an engine fix for a transitive package) are what the lock was made with.
  ...(rootPkg.overrides ? { overrides: rootPkg.overrides } : {}),
  allowScripts: { 'better-sqlite3': true },
};

const entry = (tgz, m) => ({
  version: m.version,
  resolved: `file:${basename(tgz)}`,
  integrity: integrity(tgz),
  license: m.license,
  ...(m.dependencies ? { dependencies: m.dependencies } : {}),
  ...(m.peerDependencies ? { peerDependencies: m.peerDependencies } : {}),
  ...(m.bin ? { bin: m.bin } : {}),
  ...(m.engines ? { engines: m.engines } : {}),
});
const packages = {
  '': { name: pkg.name, dependencies },
  'node_modules/@herald/sdk': entry(sdkTgz, sdk),
  'node_modules/herald': entry(heraldTgz, herald),
};
// The repository's production closure: herald's dependencies are the root's, laid out the same way.
for (const [path, e] of Object.entries(lock.packages)) {
  if (!path.startsWith('node_modules/') || e.dev || e.link || path === 'node_modules/@herald/sdk') continue;
  packages[path] = e;
}
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify({ name: pkg.name, lockfileVersion: 3, requires: true, packages }, null, 2)}\n`);
console.log(`runtime project in ${dir}: herald@${herald.version}, @herald/sdk@${sdk.version}, ${Object.keys(packages).length - 1} packages locked`);
