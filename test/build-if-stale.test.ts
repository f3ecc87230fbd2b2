import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { it } from 'node:test';
// @ts-expect-error: a plain .mjs script without type declarations
import { staleness } from '../scripts/build-if-stale.mjs';
import { tempDir } from './helpers/harness.js';

const check = staleness as (root: string) => { stale: boolean; reason: string };

it('npm start builds only when the build is missing or older than a source', (t) => {
  const root = tempDir(t);
  const at = (file: string, seconds: number, text = '') => {
    const p = join(root, file);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    utimesSync(p, seconds, seconds);
  };
  at('tsconfig.json', 1000);
  at('src/cli/main.ts', 1000);
  at('src/core/event.ts', 1000);
  at('packages/sdk/src/index.ts', 1000);
  assert.deepEqual(check(root), { stale: true, reason: 'packages/sdk/dist/index.js does not exist yet' }, 'a fresh clone builds');

  at('packages/sdk/dist/index.js', 2000);
  at('dist/src/cli/main.js', 2000);
  assert.deepEqual(check(root), { stale: true, reason: 'dist/web/app.js does not exist yet' }, 'the web console is built too');
  at('dist/web/app.js', 2000);
  assert.deepEqual(check(root), { stale: false, reason: 'the build is current' });

  at('src/core/event.test.ts', 3000);
  at('src/sources/github/fixtures/push.json', 3000);
  assert.equal(check(root).stale, false, 'tests and non-source files do not count');

  at('src/core/event.ts', 3000);
  assert.deepEqual(check(root), { stale: true, reason: 'src/core/event.ts changed since the last build' });
  at('dist/src/cli/main.js', 4000);
  assert.equal(check(root).stale, true, 'the SDK output is older than the source too');
  at('packages/sdk/dist/index.js', 4000);
  at('dist/web/app.js', 4000);
  assert.equal(check(root).stale, false);

  at('packages/sdk/src/source.ts', 5000);
  assert.match(check(root).reason, /packages\/sdk\/src\/source\.ts changed/);
  at('packages/sdk/dist/index.js', 6000);
  at('dist/src/cli/main.js', 6000);
  at('dist/web/app.js', 6000);
  at('web/style.css', 6500);
  assert.match(check(root).reason, /web\/style\.css changed/, 'every file of the console counts');
  at('dist/web/app.js', 6600);
  at('dist/src/cli/main.js', 6600);
  at('packages/sdk/dist/index.js', 6600);
  at('tsconfig.json', 7000);
  assert.match(check(root).reason, /tsconfig\.json changed/);
});
