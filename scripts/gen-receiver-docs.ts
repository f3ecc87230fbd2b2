// Regenerates the config table of every built-in receiver's docs page from its schema.
// Usage: node --import tsx --conditions=@herald/source scripts/gen-receiver-docs.ts [--check]
// With --check nothing is written; it exits 1 and lists the pages that are out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinReceivers } from '../src/receivers/index.js';
import { withConfigTable } from '../src/registry/docs-table.js';

const check = process.argv.includes('--check');
const stale: string[] = [];
let failed = false;

for (const definition of builtinReceivers) {
  const path = fileURLToPath(new URL(`../docs/receivers/${definition.type}.md`, import.meta.url));
  let page: string;
  let next: string;
  try {
    page = readFileSync(path, 'utf8');
    next = withConfigTable(page, definition);
  } catch (err) {
    console.error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
    failed = true;
    continue;
  }
  if (next === page) continue;
  stale.push(path);
  if (!check) writeFileSync(path, next);
}

if (check) {
  for (const path of stale) console.error(`out of date: ${path}`);
  if (stale.length > 0) console.error('run: npm run docs:receivers');
} else {
  for (const path of stale) console.log(`updated ${path}`);
}
process.exit(failed || (check && stale.length > 0) ? 1 : 0);
