#!/usr/bin/env node
// Node 20's --test does not expand globs, so find the test files here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.length > 2 ? process.argv.slice(2) : ['src', 'packages', 'test', 'examples'];
const files = [];
const walk = (dir) => {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(p);
  }
};
for (const r of roots) r.endsWith('.test.ts') ? files.push(r) : walk(r);
files.sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// The CLI tests run the built `herald` (dist/), as users do: build it first.
const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('npm run build failed; the CLI tests need dist/');
  process.exit(build.status ?? 1);
}
// --test-timeout bounds each test file too. The packaging tests pack (and one installs, building
// better-sqlite3 from source offline) many times: minutes on a loaded machine, so they run after
// the rest, one at a time, with their own bound.
const SLOW = new Map([
  [join('test', 'package-check.test.ts'), 600_000],
  [join('test', 'install.test.ts'), 1_200_000],
]);
const run = (list, timeout) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@herald/source', '--test', `--test-timeout=${timeout}`, ...list], { stdio: 'inherit' })
    .status ?? 1;
const fast = files.filter((f) => !SLOW.has(f));
let status = fast.length > 0 ? run(fast, 120_000) : 0;
for (const f of files.filter((f) => SLOW.has(f))) status = run([f], SLOW.get(f)) || status;
process.exit(status);
