import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from './helpers/harness.js';
import { freePort, HERALD_BIN, ROOT } from './helpers/process.js';

/** Modules an API command has no use for: receivers, sources, schemas, protocol and storage libraries. */
const HEAVY = [
  /\/src\/receivers\//,
  /\/src\/sources\//,
  /\/src\/app\//,
  /\/src\/config\//,
  /\/packages\/sdk\//,
  /\/node_modules\/(typebox|undici|fastify|better-sqlite3|kysely|mqtt|amqplib|@nats-io|smtp-server|nodemailer|mailparser|ws|liquidjs|pino|prom-client|yaml)\//,
];

/** The module URLs one run of the built CLI loads. */
function loaded(args: string[], dir: string): Promise<{ code: number | null; modules: string[]; err: string }> {
  const trace = join(dir, `trace-${args[0] ?? 'none'}-${Math.random().toString(36).slice(2)}.txt`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', './test/helpers/trace-imports.mjs', ...HERALD_BIN, ...args],
      {
        cwd: ROOT,
        env: { ...process.env, HERALD_TRACE_IMPORTS: trace, HERALD_URL: '', HERALD_TOKEN: '', HERALD_CONFIG: '' },
        encoding: 'utf8',
        timeout: 30_000,
      },
      (error, _stdout, stderr) => {
        let modules: string[] = [];
        try {
          modules = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
        } catch {
          // nothing loaded at all
        }
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, modules, err: stderr });
      },
    );
  });
}

describe('API commands start without loading receivers, sources, schemas or protocol libraries', () => {
  const dir = tempDir();
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--version, deliveries, incidents, send', async () => {
    // A port nobody listens on: the command runs its whole path up to the refused connection.
    const server = `http://127.0.0.1:${await freePort()}`;
    for (const args of [
      ['--version'],
      ['deliveries', '--server', server, '--state', 'suppressed'],
      ['incidents', '--server', server],
      ['incidents', 'show', '01X', '--server', server],
      ['send', '--server', server, '--title', 'x'],
    ]) {
      const r = await loaded(args, dir);
      if (args[0] !== '--version') assert.match(r.err, /cannot reach Herald at/, args.join(' '));
      assert.ok(
        r.modules.some((m) => m.endsWith('/cli/main.js')),
        `traced ${args.join(' ')}`,
      );
      const heavy = r.modules.filter((m) => HEAVY.some((re) => re.test(m)));
      assert.deepEqual(heavy, [], `herald ${args.join(' ')} loads only what it needs`);
    }
  });

  it('a local command still loads what it needs (the trace sees it)', async () => {
    const r = await loaded(['receivers'], dir);
    assert.equal(r.code, 0, r.err);
    assert.ok(
      r.modules.some((m) => /\/src\/receivers\/webhook\//.test(m)),
      'receivers loads the receiver registry',
    );
  });
});
