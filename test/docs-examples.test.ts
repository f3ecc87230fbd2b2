import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { parseConfig } from '../src/config/load.js';
import { builtinRegistry } from '../src/plugins/builtins.js';
import { builtinReceivers } from '../src/receivers/index.js';
import { builtinSources } from '../src/sources/index.js';
import { ROOT } from './helpers/process.js';

/** Plausible values for the ${VARS} the examples use, shaped as each field requires. */
function exampleValue(name: string): string {
  if (/TELEGRAM.*TOKEN/.test(name)) return `123456789:${'A'.repeat(35)}`;
  if (/WEBHOOK_SECRET/.test(name)) return `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
  if (/URL/.test(name)) return 'https://hooks.example.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX';
  return 'x'.repeat(32);
}

const env = new Proxy({} as NodeJS.ProcessEnv, { get: (_t, k) => (typeof k === 'string' ? exampleValue(k) : undefined), has: () => true });

it('every receiver and source docs page has a config example Herald accepts as it stands', () => {
  const pages = [
    ...builtinReceivers.map((d) => join('docs/receivers', `${d.type}.md`)),
    ...[...new Set(builtinSources.map((d) => (d.type.endsWith('-check') ? 'checks' : d.type)))].map((t) => join('docs/sources', `${t}.md`)),
  ];
  const failures: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    const blocks = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((b) => /^(sources|receivers):/m.test(b));
    const errors: string[] = [];
    const ok = blocks.some((b) => {
      try {
        parseConfig(b, builtinRegistry(), env);
        return true;
      } catch (err) {
        errors.push((err as Error).message.split('\n').slice(1, 3).join(' '));
        return false;
      }
    });
    if (!ok) failures.push(`${page}: ${blocks.length === 0 ? 'no sources:/receivers: example' : errors.join(' / ')}`);
  }
  assert.deepEqual(failures, []);
  assert.ok(readdirSync(join(ROOT, 'docs/sources')).length >= 13);
});
