#!/usr/bin/env node
// Removes the build output before each build: tsc never deletes files whose source is gone,
// so without this a renamed or removed module (or an old dist/test) would ship in the package.
import { rmSync } from 'node:fs';

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true });
