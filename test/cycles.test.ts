import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from './helpers/harness.js';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('..', import.meta.url));
const script = join(repo, 'scripts', 'check-cycles.mjs');

async function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], { cwd: repo, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('scripts/check-cycles.mjs', () => {
  it('exits 1 on a planted cycle of a type-only import, an export-from and an import, naming the chain and nothing else', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'src'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: [] }, include: ['src'] }),
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'src', 'a.ts'), "import type { B } from './b.js';\nexport interface A { b?: B }\n");
    writeFileSync(join(dir, 'src', 'b.ts'), "export { type C as B } from './c.js';\n");
    writeFileSync(
      join(dir, 'src', 'c.ts'),
      "import type { A } from './a.js';\nimport { leaf } from './leaf.js';\nexport interface C { a?: A; n: typeof leaf }\n",
    );
    writeFileSync(join(dir, 'src', 'leaf.ts'), 'export const leaf = 1;\n');

    const r = await check(['--project', join(dir, 'tsconfig.json')]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /1 import cycle among 4 modules/);
    assert.match(r.stderr, /src\/a\.ts\s+→ src\/b\.ts\s+→ src\/c\.ts\s+→ src\/a\.ts/);
    assert.doesNotMatch(r.stderr, /leaf/);
  });

  it('finds no cycle in this repository', async () => {
    const r = await check([]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^check-cycles: no import cycles among \d+ modules/);
  });
});
