// Regenerates everything the docs derive from the config schemas: the config table of every
// built-in receiver's and source's page, the section tables of docs/configuration.md, and the
// config file's JSON Schema (docs/herald.schema.json).
// Usage: npm run docs:config [-- --check]   (docs:receivers is the same script, its old name)
// With --check nothing is written; it exits 1 and lists the files that are out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generatedTables, SCHEMA_FILE, schemaFileText } from '../src/registry/docs-pages.js';
import { withTable } from '../src/registry/docs-table.js';

const check = process.argv.includes('--check');
const root = new URL('../', import.meta.url);
const at = (file: string) => fileURLToPath(new URL(file, root));
let failed = false;

// Every table of a page is applied to the page in turn, so a page with several is written once.
const pages = new Map<string, { before: string; after: string }>();
for (const { page, key, table } of generatedTables()) {
  let entry = pages.get(page);
  if (!entry) {
    try {
      const text = readFileSync(at(page), 'utf8');
      entry = { before: text, after: text };
    } catch (err) {
      console.error(`${page}: ${err instanceof Error ? err.message : String(err)}`);
      failed = true;
      continue;
    }
    pages.set(page, entry);
  }
  try {
    entry.after = withTable(entry.after, table, key);
  } catch (err) {
    console.error(`${page}${key ? ` (${key})` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    failed = true;
  }
}

const stale: string[] = [];
for (const [page, { before, after }] of pages) {
  if (after === before) continue;
  stale.push(page);
  if (!check) writeFileSync(at(page), after);
}
const schema = schemaFileText();
let current: string | undefined;
try {
  current = readFileSync(at(SCHEMA_FILE), 'utf8');
} catch {
  current = undefined;
}
if (current !== schema) {
  stale.push(SCHEMA_FILE);
  if (!check) writeFileSync(at(SCHEMA_FILE), schema);
}

if (check) {
  for (const page of stale) console.error(`out of date: ${page}`);
  if (stale.length > 0) console.error('run: npm run docs:config');
} else {
  for (const page of stale) console.log(`updated ${page}`);
}
process.exit(failed || (check && stale.length > 0) ? 1 : 0);
