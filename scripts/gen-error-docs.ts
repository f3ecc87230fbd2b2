// Regenerates docs/errors.md from the error catalogue (src/errors/catalogue.ts).
// Usage: node --import tsx --conditions=@herald/source scripts/gen-error-docs.ts [--check]
// With --check nothing is written; it exits 1 when the page is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderErrorDocs } from '../src/errors/docs.js';

const path = fileURLToPath(new URL('../docs/errors.md', import.meta.url));
const check = process.argv.includes('--check');
let page = '';
try {
  page = readFileSync(path, 'utf8');
} catch {
  // Not generated yet: it is out of date.
}
const next = renderErrorDocs();
if (next === page) process.exit(0);
if (check) {
  console.error(`out of date: ${path}\nrun: npm run docs:errors`);
  process.exit(1);
}
writeFileSync(path, next);
console.log(`updated ${path}`);
