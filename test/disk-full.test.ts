import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startHerald } from './helpers/harness.js';

const CONFIG = `
sources: [{name: gen, type: generic, allow_unauthenticated: true}]
receivers: [{name: console, type: log}]
routes: [{receivers: [console]}]
`;

/** A real, small file system of its own: a tmpfs (we run as root, in CI too). The caller unmounts it. */
function smallFileSystem(size: string): { dir: string; unmount(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'herald-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    // Under CI this must run: the failure to mount fails the test instead of skipping it.
    if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs for the disk-full test: ${(err as Error).message}`);
    return undefined;
  }
  return {
    dir,
    unmount() {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Writes zeros until the file system says ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe('a full disk under the SQLite store', () => {
  it('answers 503 store_unavailable with Retry-After, acknowledges only what is stored, keeps serving and recovers', async (t) => {
    const fs = smallFileSystem('8m');
    if (!fs) return t.skip('cannot mount a tmpfs here (not root?); runs under CI=true');
    const { dir } = fs;
    const dataDir = join(dir, 'data');
    const heralds: { stop(): Promise<void> }[] = [];
    // Every Herald on the file system stops before it is unmounted.
    t.after(async () => {
      for (const one of heralds) await one.stop();
      fs.unmount();
    });
    execFileSync('mkdir', [dataDir]);
    const noop = { after() {} };
    const h = await startHerald(noop, CONFIG, { dir: dataDir });
    heralds.push(h);
    const post = (i: number, url = '/api/v1/events') =>
      h.herald.server.inject({
        method: 'POST',
        url,
        payload: { title: `event ${i}`, text: 'x'.repeat(60_000) },
        headers: { 'content-type': 'application/json' },
      });

    const acknowledged: string[] = [];
    const first = await post(0);
    assert.equal(first.statusCode, 202, first.body);
    acknowledged.push(...first.json().ids);

    fill(join(dir, 'filler'));
    // Free pages inside the database may take a few more events; the disk runs out within 40 (2.4 MB).
    let unavailable = 0;
    for (let i = 1; i <= 40 && unavailable < 3; i++) {
      const res = await post(i, i % 2 === 0 ? '/api/v1/events' : '/hooks/gen');
      if (res.statusCode === 202) {
        acknowledged.push(...res.json().ids);
        continue;
      }
      assert.equal(res.statusCode, 503, `event ${i}: ${res.body}`);
      assert.deepEqual(res.json(), {
        error: 'store_unavailable',
        code: 'HERALD_ERR_STORE_UNAVAILABLE',
        detail: 'the store is unavailable; nothing was stored, retry later',
      });
      assert.equal(res.headers['retry-after'], '5');
      unavailable++;
    }
    assert.equal(unavailable, 3, 'the full disk was reported as store_unavailable');
    assert.ok(
      h.logLines.some((l) => /store unavailable/.test(l) && /SQLITE_FULL|disk is full/.test(l)),
      'the log names the cause',
    );

    // Herald keeps serving: health, reads and every acknowledged event.
    assert.equal((await h.herald.server.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const listed = await h.herald.server.inject({ method: 'GET', url: '/api/v1/events?limit=500' });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(
      listed
        .json()
        .events.map((e: { id: string }) => e.id)
        .sort(),
      [...acknowledged].sort(),
      'exactly the acknowledged events are stored',
    );

    // Space freed: ingest works again, without a restart.
    rmSync(join(dir, 'filler'));
    const again = await post(100);
    assert.equal(again.statusCode, 202, again.body);
    acknowledged.push(...again.json().ids);
    const hook = await post(101, '/hooks/gen');
    assert.equal(hook.statusCode, 202, hook.body);
    acknowledged.push(...hook.json().ids);

    // And what was acknowledged survives a restart.
    await h.stop();
    const reopened = await startHerald(noop, CONFIG, { dir: dataDir });
    heralds.push(reopened);
    const stored = (await reopened.herald.server.inject({ method: 'GET', url: '/api/v1/events?limit=500' })).json().events as { id: string }[];
    assert.deepEqual(stored.map((e) => e.id).sort(), [...acknowledged].sort());
  });
});
