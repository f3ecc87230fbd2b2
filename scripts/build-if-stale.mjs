#!/usr/bin/env node
// `npm start` builds only when the build is missing or older than a source: a fresh clone builds
// once, later starts go straight to `herald serve` (a full tsc run costs tens of seconds here).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the build reads: the TypeScript sources (tests excluded; fixtures do not count), the compiler configs, the package. */
const INPUT_DIRS = ['src', 'packages/sdk/src'];
/** The web console's sources: every file counts (TSX, CSS, HTML, the manifest, the icon). */
const WEB_DIR = 'web';
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'packages/sdk/tsconfig.json', 'package.json', 'scripts/build-web.mjs'];
/** What `npm run build` writes last in each of its steps. */
const OUTPUTS = ['packages/sdk/dist/index.js', 'dist/src/cli/main.js', 'dist/web/app.js'];

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function newestInput(root) {
  let newest = { file: '', ms: 0 };
  const consider = (file) => {
    const ms = mtime(file);
    if (ms !== undefined && ms > newest.ms) newest = { file, ms };
  };
  const walk = (dir, every = false) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== 'dist') walk(p, every);
      } else if (every || (/\.m?ts$/.test(e.name) && !/\.test\.m?ts$/.test(e.name))) consider(p);
    }
  };
  for (const d of INPUT_DIRS) walk(join(root, d));
  walk(join(root, WEB_DIR), true);
  for (const f of INPUT_FILES) consider(join(root, f));
  return newest;
}

/** Whether `root` needs `npm run build`, and why. */
export function staleness(root) {
  const outputs = OUTPUTS.map((f) => ({ file: f, ms: mtime(join(root, f)) }));
  const missing = outputs.find((o) => o.ms === undefined);
  if (missing) return { stale: true, reason: `${missing.file} does not exist yet` };
  const oldest = Math.min(...outputs.map((o) => o.ms));
  const input = newestInput(root);
  if (input.ms > oldest) return { stale: true, reason: `${relative(root, input.file)} changed since the last build` };
  return { stale: false, reason: 'the build is current' };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const s = staleness(root);
  if (process.argv.includes('--check')) {
    console.log(s.reason);
    process.exit(s.stale ? 1 : 0);
  }
  if (s.stale) {
    console.error(`herald: building (${s.reason}) …`);
    const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    process.exit(build.status ?? 1);
  }
}
