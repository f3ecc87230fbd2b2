import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from './helpers/harness.js';
import { HERALD_BIN, ROOT } from './helpers/process.js';

function herald(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...HERALD_BIN, ...args],
      { cwd: ROOT, env: { ...process.env, HERALD_CONFIG: '' }, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
    );
  });
}

type Variants = { items: { oneOf: { properties: { type: { const: string } } }[] } };

describe('herald config schema', () => {
  it('prints the JSON Schema of the whole config: top-level sections and each receiver and source type', async () => {
    const r = await herald(['config', 'schema']);
    assert.equal(r.code, 0, r.err);
    const schema = JSON.parse(r.out) as { properties: Record<string, unknown> & { receivers: Variants; sources: Variants } };
    assert.ok(schema.properties.server && schema.properties.delivery);
    const receiverTypes = schema.properties.receivers.items.oneOf.map((v) => v.properties.type.const);
    assert.ok(receiverTypes.includes('webhook') && receiverTypes.includes('slack'), receiverTypes.join());
    assert.ok(schema.properties.sources.items.oneOf.some((v) => v.properties.type.const === 'github'));
    // The committed file is the same schema (built-ins only), so editors see what the CLI prints.
    assert.deepEqual(schema, JSON.parse(readFileSync(join(ROOT, 'docs/herald.schema.json'), 'utf8')));
  });

  it('with -c includes the receiver types of the plugins that config loads', async (t) => {
    const dir = tempDir(t);
    const cfg = join(dir, 'herald.yaml');
    writeFileSync(cfg, `plugins: [${JSON.stringify(join(ROOT, 'examples/herald-plugin-example'))}]\n`);
    const r = await herald(['config', 'schema', '-c', cfg]);
    assert.equal(r.code, 0, r.err);
    const types = (JSON.parse(r.out) as { properties: { receivers: Variants } }).properties.receivers.items.oneOf.map((v) => v.properties.type.const);
    assert.ok(types.includes('ntfy-example'), types.join());
    assert.ok(types.includes('webhook'));
  });
});
