import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import semver from 'semver';
import { ROOT } from './helpers/process.js';

it('every package in the lock file supports the Node line Herald promises (npm ci prints no EBADENGINE)', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };
  const promised = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const lowest = semver.minVersion(promised)?.version as string;
  const refusing = Object.entries(lock.packages)
    .filter(([path, p]) => path !== '' && p.engines && !Array.isArray(p.engines) && p.engines.node && !semver.satisfies(lowest, p.engines.node))
    .map(([path, p]) => `${path} (node ${(p.engines as { node: string }).node})`);
  assert.deepEqual(refusing, [], `these need a newer Node than ${lowest}: pin a Node-20 line with "overrides"`);
});

it('docs/plugins.md documents ctx.net: every TcpClient method and request field', () => {
  const net = readFileSync(join(ROOT, 'packages/sdk/src/net.ts'), 'utf8');
  const docs = readFileSync(join(ROOT, 'docs/plugins.md'), 'utf8');
  const body = (name: string) => (new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(net)?.[1] ?? '').replace(/\/\*\*[\s\S]*?\*\//g, '');
  const members = (name: string) => [...body(name).matchAll(/^\s+(\w+)\??[(:]/gm)].map((m) => m[1] as string);
  assert.deepEqual(members('TcpClient'), ['send', 'connect']);
  assert.match(docs, /### Raw TCP: `ctx\.net`/);
  for (const method of members('TcpClient')) assert.match(docs, new RegExp(`\`${method}\\(\\{`), `ctx.net.${method} documented`);
  for (const field of [...members('TcpSendRequest'), ...members('TcpConnectRequest')]) assert.ok(docs.includes(field), `request field ${field} documented`);
});
