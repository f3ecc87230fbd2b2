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
const res = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@herald/source', '--test', '--test-timeout=120000', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
