// The layering rules in biome.json fire: each case lints one planted file, in a temp
// copy of the configuration (never written into src/), and expects Biome to exit non-zero
// naming the rule — or, for the allowed imports, to pass. Biome's stdin mode prints no
// diagnostics on 2.5, hence real files in a temp tree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const biome = join(root, 'node_modules', '.bin', 'biome');
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'herald-boundaries-'));
  copyFileSync(join(root, 'biome.json'), join(dir, 'biome.json'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Diagnostic {
  category: string;
  message: string;
}

/** Lints `source` as the file at `path` (relative to the repository root). */
function lint(path: string, source: string): { status: number | null; diagnostics: Diagnostic[] } {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, source);
  try {
    const r = spawnSync(biome, ['lint', '--reporter=json', '--max-diagnostics=none', path], { cwd: dir, encoding: 'utf8' });
    const out = JSON.parse(r.stdout) as { diagnostics: Diagnostic[] };
    return { status: r.status, diagnostics: out.diagnostics };
  } finally {
    rmSync(file);
  }
}

function assertRefused(path: string, source: string, message: RegExp, category = 'lint/style/noRestrictedImports'): void {
  const r = lint(path, source);
  assert.notEqual(r.status, 0, `${path} should fail the lint`);
  assert.ok(
    r.diagnostics.some((d) => d.category === category && message.test(d.message)),
    `${path}: expected ${category} matching ${message}, got ${JSON.stringify(r.diagnostics)}`,
  );
}

function assertAllowed(path: string, source: string): void {
  const r = lint(path, source);
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.status, 0);
}

describe('layering rules (biome.json)', () => {
  it('src/core imports no node: built-in and no I/O layer', () => {
    assertRefused('src/core/planted.ts', "export { readFileSync } from 'node:fs';\n", /src\/core is pure: no node: built-ins/);
    assertRefused('src/core/planted.ts', "export type { Store } from '../store/types.js';\n", /src\/core is pure: it imports no store/);
    assertRefused('src/core/planted.ts', "export { Kysely } from 'kysely';\n", /src\/core is pure/);
  });

  it('receivers import no Herald internals and no raw network client', () => {
    assertRefused('src/receivers/planted/index.ts', "export { parseMatcher } from '../../core/matcher.js';\n", /only @herald\/sdk, their own folder/);
    assertRefused('src/receivers/planted/index.ts', "export { request } from 'undici';\n", /receivers send through ctx\.http/);
  });

  it('sources import no Herald internals and no raw HTTP client', () => {
    assertRefused('src/sources/planted/index.ts', "export { newId } from '../../lib/ids.js';\n", /only @herald\/sdk, their own folder/);
    assertRefused('src/sources/planted/index.ts', "export { request } from 'undici';\n", /sources send through ctx\.http/);
  });

  it('better-sqlite3 is imported only under src/store/sqlite/', () => {
    assertRefused('src/queue/planted.ts', "export { default } from 'better-sqlite3';\n", /only src\/store\/sqlite\/ opens SQLite/);
    assertRefused('test/planted.ts', "export { default } from 'better-sqlite3';\n", /only src\/store\/sqlite\/ opens SQLite/);
  });

  it('only src/cli imports src/app', () => {
    assertRefused('src/http/planted.ts', "export { Herald } from '../app/herald.js';\n", /only src\/cli\/ \(and tests\) may import the composition root/);
    assertRefused('packages/sdk/src/planted.ts', "export { Herald } from '../../../src/app/herald.js';\n", /composition root/);
  });

  it('floating promises are errors', () => {
    assertRefused(
      'src/lib/planted.ts',
      'async function work(): Promise<number> {\n  return 1;\n}\nexport function run(): void {\n  work();\n}\n',
      /./,
      'lint/nursery/noFloatingPromises',
    );
  });

  it('allows what the layers may import', () => {
    assertAllowed(
      'src/receivers/planted/index.ts',
      "export { defineReceiver } from '@herald/sdk';\nexport { format } from './format.js';\nexport { createTransport } from 'nodemailer';\n",
    );
    assertAllowed('src/core/planted.ts', "export type { HeraldEvent } from '@herald/sdk';\nexport { parseDuration } from '../lib/units.js';\n");
    assertAllowed('src/store/sqlite/planted.ts', "export { default } from 'better-sqlite3';\n");
    assertAllowed('src/cli/planted.ts', "export { Herald } from '../app/herald.js';\n");
    // The HTTP check's own-TLS path gives undici a connector built on ctx.net, the guarded TCP client.
    assertAllowed('src/sources/checks/http.ts', "export { Client } from 'undici';\n");
  });
});
