#!/usr/bin/env node
/**
 * The packaging check `npm test` runs: packs each package exactly as `npm publish`
 * would and fails when what ships is broken. publint checks the manifest against
 * the packed files (exports, bin, types paths that do not exist, …); Are The Types
 * Wrong checks that TypeScript consumers resolve the types; the rest are the
 * mistakes those two do not see and this project has made before: a bare import
 * no `dependencies` entry provides, a relative import of a file left out of
 * `files`, stale build output or tests in the tarball, a missing LICENSE.
 *
 *   node scripts/check-package.mjs            build, then check herald and @herald/sdk
 *   node scripts/check-package.mjs DIR...     check these package folders as they are (no build)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, parse } from 'es-module-lexer';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import semver from 'semver';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const dirs = args.length > 0 ? args.map((a) => resolve(a)) : [ROOT, join(ROOT, 'packages/sdk')];
if (args.length === 0) execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });

const work = mkdtempSync(join(tmpdir(), 'herald-check-package-'));
const problems = [];
const BUILTINS = new Set(builtinModules);
await init;

/** `npm pack` as publish does it (scripts off: the build already ran), unpacked beside the tarball. */
function pack(dir, i) {
  const dest = join(work, String(i));
  mkdirSync(dest);
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest, '--loglevel=error'], { cwd: dir, encoding: 'utf8' }),
  );
  const tarball = join(dest, info.filename);
  execFileSync('tar', ['xzf', tarball, '-C', dest]);
  return { tarball, unpacked: join(dest, 'package'), files: new Set(info.files.map((f) => f.path)) };
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
const packageOf = (spec) =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

function checkImports(pkg, files, unpacked, report) {
  const declared = new Set([pkg.name, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies })]);
  for (const file of files) {
    if (!/\.(m?js)$/.test(file)) continue;
    const [imports] = parse(readFileSync(join(unpacked, file), 'utf8'), file);
    for (const { n: spec } of imports) {
      // undefined: a dynamic import of a computed specifier; nothing to check statically.
      if (spec === undefined || spec.startsWith('node:') || BUILTINS.has(spec)) continue;
      if (spec.startsWith('.')) {
        const target = posix.normalize(posix.join(posix.dirname(file), spec));
        if (!files.has(target)) report(`${file} imports ${spec}, which the package does not ship (check "files")`);
      } else if (!declared.has(packageOf(spec))) {
        report(`${file} imports ${spec}, but package.json declares no dependency on ${packageOf(spec)}`);
      }
    }
  }
}

const packed = [];
for (const [i, dir] of dirs.entries()) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const report = (msg) => problems.push(`${pkg.name}: ${msg}`);
  const { tarball, unpacked, files } = pack(dir, i);
  packed.push({ pkg, dir });

  // pack: false — the unpacked tarball is exactly what publishes.
  const { messages, pkg: shipped } = await publint({ pkgDir: unpacked, pack: false, level: 'warning', strict: true });
  for (const m of messages) report(`publint ${m.type}: ${formatMessage(m, shipped, { color: false }) ?? m.code}`);

  const typed = pkg.types !== undefined || JSON.stringify(pkg.exports ?? {}).includes('"types"');
  if (typed) {
    // ESM-only packages for Node ≥ 20: require() and node10 resolution are not supported by design.
    const attw = spawnSync(
      join(ROOT, 'node_modules/.bin/attw'),
      [tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'ascii', '--no-color'],
      {
        encoding: 'utf8',
      },
    );
    if (attw.status !== 0) report(`Are The Types Wrong:\n${attw.stdout}${attw.stderr}`);
  }

  if (!files.has('LICENSE')) report('no LICENSE file in the package');
  // The changelog is the version record (docs/plugins.md#versions): a bump without its entry fails.
  const changelog = existsSync(join(dir, 'CHANGELOG.md')) ? readFileSync(join(dir, 'CHANGELOG.md'), 'utf8') : '';
  const heading = new RegExp(`^## \\[?${pkg.version.replaceAll('.', '\\.')}\\]?( |$)`, 'm');
  if (!heading.test(changelog)) report(`CHANGELOG.md has no "## ${pkg.version}" section for the version in package.json`);
  if (typeof pkg.license !== 'string') report('package.json has no "license"');
  if (!pkg.engines?.node || !semver.validRange(pkg.engines.node)) report('package.json has no valid "engines.node"');
  for (const file of files) {
    if (/(^|\/)test\//.test(file) || /\.test\.(m?js|ts|d\.ts)$/.test(file)) report(`ships test code: ${file}`);
    // Built output whose source is gone: tsc never deletes it, so only a clean build is safe to pack.
    const built = /^dist\/(.+)\.(js|d\.ts)$/.exec(file);
    if (built && existsSync(join(dir, 'src')) && !existsSync(join(dir, `${built[1]}.ts`)) && !existsSync(join(dir, 'src', `${built[1]}.ts`)))
      report(`ships ${file}, which no source file builds any more (stale dist/; npm run build cleans it)`);
  }
  for (const [name, bin] of Object.entries(typeof pkg.bin === 'string' ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}))) {
    const file = posix.normalize(bin);
    if (!files.has(file)) report(`bin ${name} → ${bin} is not in the package`);
    else if (!readFileSync(join(unpacked, file), 'utf8').startsWith('#!/usr/bin/env node'))
      report(`bin ${name} → ${bin} does not start with #!/usr/bin/env node`);
  }
  checkImports(pkg, files, unpacked, report);
  // The plugin loader checks peer ranges against SDK_VERSION: it must be the version that ships.
  if (pkg.name === '@herald/sdk') {
    const declared = /export const SDK_VERSION = '([^']+)'/.exec(
      files.has('dist/manifest.js') ? readFileSync(join(unpacked, 'dist/manifest.js'), 'utf8') : '',
    )?.[1];
    if (declared !== pkg.version) report(`SDK_VERSION is ${declared ?? '(not found in dist/manifest.js)'}, but package.json says ${pkg.version}`);
  }
}

// The packages checked together must agree: herald's @herald/sdk range takes the SDK beside it.
for (const { pkg } of packed) {
  for (const other of packed) {
    const range = pkg.dependencies?.[other.pkg.name];
    if (range !== undefined && !semver.satisfies(other.pkg.version, range))
      problems.push(`${pkg.name}: depends on ${other.pkg.name}@${range}, but the package beside it is ${other.pkg.version}`);
  }
}

rmSync(work, { recursive: true, force: true });
if (problems.length > 0) {
  for (const p of problems) console.error(`check-package: ${p}`);
  process.exit(1);
}
console.log(`check-package: ${packed.map(({ pkg }) => `${pkg.name}@${pkg.version}`).join(', ')} pack cleanly`);
