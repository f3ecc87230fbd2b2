import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from './helpers/harness.js';
import { ROOT } from './helpers/process.js';

/**
 * scripts/check-package.mjs (run by `npm test`) must fail on a broken package.
 * Each case copies the built packages to a temp folder, plants one mistake there
 * and runs the check on the copies; the untouched copies must pass, so each
 * failure is the planted mistake's. Needs a build (`npm run build`), as the CLI tests do.
 */
function copyPackages(dir: string): { herald: string; sdk: string } {
  const herald = join(dir, 'herald');
  const sdk = join(dir, 'sdk');
  const parts = ['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md', 'src', 'dist'];
  for (const f of parts) cpSync(join(ROOT, f), join(herald, f), { recursive: true });
  for (const f of parts) cpSync(join(ROOT, 'packages/sdk', f), join(sdk, f), { recursive: true });
  return { herald, sdk };
}

function editJson(file: string, edit: (pkg: Record<string, unknown>) => void): void {
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  edit(pkg);
  writeFileSync(file, JSON.stringify(pkg, null, 2));
}

function check(...dirs: string[]): { status: number | null; stderr: string } {
  const res = spawnSync(process.execPath, [join(ROOT, 'scripts/check-package.mjs'), ...dirs], { encoding: 'utf8', timeout: 120_000 });
  return { status: res.status, stderr: res.stderr };
}

describe('the packaging check', { timeout: 300_000 }, () => {
  it('passes the packages as they are built', (t) => {
    const { herald, sdk } = copyPackages(tempDir(t));
    const res = check(herald, sdk);
    assert.equal(res.status, 0, res.stderr);
  });

  const planted: [string, (p: { herald: string; sdk: string }) => void, RegExp][] = [
    [
      'the SDK without dist in "files" (its exports point at nothing)',
      ({ sdk }) => editJson(join(sdk, 'package.json'), (p) => (p.files = ['src', '!src/**/*.test.ts'])),
      /@herald\/sdk: publint error: .*dist\/index\.js/,
    ],
    [
      'herald shipping only part of dist/src',
      ({ herald }) => editJson(join(herald, 'package.json'), (p) => (p.files = ['dist/src/cli'])),
      /herald: dist\/src\/cli\/main\.js imports \.\.\/app\/herald\.js, which the package does not ship/,
    ],
    [
      'herald not declaring the @herald/sdk dependency its built files import',
      ({ herald }) =>
        editJson(join(herald, 'package.json'), (p) => {
          delete (p.dependencies as Record<string, string>)['@herald/sdk'];
        }),
      /herald: dist\/src\/.+\.js imports @herald\/sdk, but package\.json declares no dependency on @herald\/sdk/,
    ],
    [
      'stale test output in dist/ shipped by "files": ["dist"]',
      ({ herald }) => {
        mkdirSync(join(herald, 'dist/test'));
        writeFileSync(join(herald, 'dist/test/api.test.js'), "import '../src/cli/main.js';\n");
        editJson(join(herald, 'package.json'), (p) => (p.files = ['dist']));
      },
      /herald: ships test code: dist\/test\/api\.test\.js/,
    ],
    [
      'a built module whose source was deleted',
      ({ herald }) => writeFileSync(join(herald, 'dist/src/cli/old-command.js'), 'export {};\n'),
      /herald: ships dist\/src\/cli\/old-command\.js, which no source file builds any more/,
    ],
    ['no LICENSE', ({ sdk }) => rmSync(join(sdk, 'LICENSE')), /@herald\/sdk: no LICENSE file/],
    [
      'types that do not resolve for TypeScript consumers',
      ({ sdk }) =>
        editJson(join(sdk, 'package.json'), (p) => {
          (p.exports as Record<string, Record<string, string>>)['.'] = { types: './dist/index.d.ts', default: './dist/index.js' };
          (p.exports as Record<string, Record<string, string>>)['./testing'] = { types: './dist/nope.d.ts', default: './dist/testing/index.js' };
        }),
      /@herald\/sdk: (Are The Types Wrong|publint)/,
    ],
    [
      'a version bump without its CHANGELOG.md section',
      ({ herald }) => editJson(join(herald, 'package.json'), (p) => (p.version = '0.2.0')),
      /herald: CHANGELOG\.md has no "## 0\.2\.0" section for the version in package\.json/,
    ],
    [
      'an SDK_VERSION that is not the version in package.json',
      ({ sdk }) => {
        const file = join(sdk, 'dist/manifest.js');
        writeFileSync(file, readFileSync(file, 'utf8').replace(/SDK_VERSION = '[^']+'/, "SDK_VERSION = '0.0.9'"));
      },
      /@herald\/sdk: SDK_VERSION is 0\.0\.9, but package\.json says 0\.1\.0/,
    ],
    [
      'an SDK range the SDK beside it does not satisfy',
      ({ herald }) => editJson(join(herald, 'package.json'), (p) => ((p.dependencies as Record<string, string>)['@herald/sdk'] = '^0.2.0')),
      /herald: depends on @herald\/sdk@\^0\.2\.0, but the package beside it is 0\.1\.0/,
    ],
  ];
  for (const [name, plant, error] of planted) {
    it(`fails on ${name}`, (t) => {
      const pkgs = copyPackages(tempDir(t));
      plant(pkgs);
      const res = check(pkgs.herald, pkgs.sdk);
      assert.equal(res.status, 1, res.stderr);
      assert.match(res.stderr, error);
    });
  }
});
