#!/usr/bin/env node
// Builds the web console (web/) into dist/web: one JS bundle, one stylesheet,
// index.html and the icon. No CDN: everything Herald serves at / is in here.
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const out = 'dist/web';
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: 'web/src/main.tsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync('web/style.css', `${out}/style.css`);
copyFileSync('web/index.html', `${out}/index.html`);
copyFileSync('web/icon.svg', `${out}/icon.svg`);
copyFileSync('web/manifest.json', `${out}/manifest.json`);
if (process.env.HERALD_WEB_SIZES) {
  for (const f of ['app.js', 'style.css', 'index.html']) {
    const raw = statSync(`${out}/${f}`).size;
    const gz = gzipSync(readFileSync(`${out}/${f}`)).length;
    console.log(`${f}\t${raw}\t${gz}`);
  }
}
