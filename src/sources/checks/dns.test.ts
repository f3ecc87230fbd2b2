import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import { eventually, registry, startHerald } from '../../../test/helpers/harness.js';
import { parseConfig } from '../../config/load.js';
import { evaluateDns } from './dns.js';
import { checkInstance, PacedClock, pause, storedEvents } from './test-helpers.js';

type T = Parameters<typeof startHerald>[0];
const TYPE = { A: 1, TXT: 16 } as const;

/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) answering A and TXT
 * queries from `records`: NXDOMAIN for unknown names, an empty answer for a
 * known name without that type, and no answer at all for names in `silent`.
 */
async function dnsResponder(t: T) {
  const records = new Map<string, { A?: string[]; TXT?: string[][] }>();
  const silent = new Set<string>();
  const queries: { name: string; type: number }[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (msg, from) => {
    // Question: labels from byte 12 up to a zero byte, then QTYPE and QCLASS.
    const labels: string[] = [];
    let at = 12;
    while (at < msg.length && msg[at] !== 0) {
      const len = msg[at] as number;
      labels.push(msg.subarray(at + 1, at + 1 + len).toString('ascii'));
      at += len + 1;
    }
    const qtype = msg.readUInt16BE(at + 1);
    const questionEnd = at + 5;
    const name = labels.join('.').toLowerCase();
    queries.push({ name, type: qtype });
    if (silent.has(name)) return;
    const rec = records.get(name);
    const answers: Buffer[] = [];
    if (qtype === TYPE.A) for (const ip of rec?.A ?? []) answers.push(Buffer.from(ip.split('.').map(Number)));
    if (qtype === TYPE.TXT) {
      for (const chunks of rec?.TXT ?? []) answers.push(Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from([c.length]), Buffer.from(c)]))));
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (rec ? 0 : 3), 2); // QR, AA, RD copied, NOERROR or NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((rdata) => {
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4); // class IN
      rr.writeUInt32BE(60, 6); // TTL
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    socket.send(Buffer.concat([header, msg.subarray(12, questionEnd), ...rrs]), from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => socket.close(() => r())));
  return { server: `127.0.0.1:${socket.address().port}`, records, silent, queries };
}

describe('dns-check', () => {
  it('judges answers against expect, pure', () => {
    const c = { hostname: 'app.test', record_type: 'A' as const, expect: ['10.0.0.9'] };
    assert.deepEqual(evaluateDns(c, ['10.0.0.1', '10.0.0.2'], 3), { ok: false, message: 'A app.test is 10.0.0.1, 10.0.0.2, expected one of 10.0.0.9' });
    assert.deepEqual(evaluateDns(c, ['10.0.0.9'], 3), { ok: true, message: 'A app.test → 10.0.0.9 in 3 ms' });
    assert.equal(evaluateDns({ hostname: 'x.test', record_type: 'CNAME', expect: ['Target.Example.'] }, ['target.example'], 1).ok, true);
    assert.equal(evaluateDns({ hostname: 'x.test', record_type: 'TXT', expect: ['V=1'] }, ['v=1'], 1).ok, false, 'TXT compares exactly');
    assert.deepEqual(evaluateDns({ hostname: 'x.test', record_type: 'A' }, [], 1), { ok: false, message: 'A x.test: no records' });
  });

  it('resolves through a configured server: A and TXT with expect, NXDOMAIN, no data, no answer, and recovery', async (t) => {
    const dns = await dnsResponder(t);
    dns.records.set('app.test', { A: ['10.1.2.3', '10.1.2.4'], TXT: [['v=check1'], ['site-verification=', 'abc123']] });
    dns.records.set('moving.test', { A: ['10.9.9.9'] });
    dns.records.set('notxt.test', { A: ['10.1.1.1'] });
    dns.silent.add('silent.test');
    const s = `server: "${dns.server}", interval: 30s, timeout: 1s, failures_before_alert: 1`;
    const h = await startHerald(
      t,
      `sources:
  - {name: a, type: dns-check, hostname: app.test, ${s}}
  - {name: txt, type: dns-check, hostname: App.Test, record_type: TXT, expect: ["site-verification=abc123"], ${s}}
  - {name: moving, type: dns-check, hostname: moving.test, expect: ["10.1.2.3"], ${s}}
  - {name: nx, type: dns-check, hostname: missing.test, ${s}}
  - {name: nodata, type: dns-check, hostname: notxt.test, record_type: TXT, ${s}}
  - {name: silent, type: dns-check, hostname: silent.test, server: "${dns.server}", interval: 5s, timeout: 300ms, failures_before_alert: 1}
`,
      { clock: new PacedClock() },
    );
    const ran = (name: string, n = 2) => eventually(() => checkInstance(h, name).inspect().history.length >= n, 5000, `${name} ran`);
    await ran('a');
    const a = checkInstance(h, 'a').inspect();
    assert.equal(a.state, 'ok');
    assert.equal(a.type, 'dns-check');
    assert.match(a.last_result?.message ?? '', /^A app\.test → 10\.1\.2\.3, 10\.1\.2\.4 in \d+ ms$/);
    await ran('txt');
    assert.equal(checkInstance(h, 'txt').inspect().state, 'ok');
    assert.match(checkInstance(h, 'txt').inspect().last_result?.message ?? '', /^TXT App\.Test → "v=check1", "site-verification=abc123" in \d+ ms$/);

    const title = async (name: string) => {
      await eventually(async () => (await storedEvents(h, name)).length > 0, 5000, `${name} fired`);
      return (await storedEvents(h, name)).map((e) => e.title);
    };
    assert.deepEqual(await title('moving'), ['moving is failing: A moving.test is 10.9.9.9, expected one of 10.1.2.3']);
    assert.deepEqual(await title('nx'), [`nx is failing: A lookup of missing.test via ${dns.server} failed: ENOTFOUND (no such name (NXDOMAIN))`]);
    assert.deepEqual(await title('nodata'), [`nodata is failing: TXT lookup of notxt.test via ${dns.server} failed: ENODATA (no records of this type)`]);
    assert.deepEqual(await title('silent'), [`silent is failing: timed out after 300ms (A lookup of silent.test via ${dns.server} got no answer)`]);

    // The record changes to the expected address: the check recovers.
    dns.records.set('moving.test', { A: ['10.1.2.3'] });
    await eventually(async () => (await storedEvents(h, 'moving')).length === 2, 5000, 'moving resolved');
    const [firing, resolved] = await storedEvents(h, 'moving');
    assert.equal(resolved?.status, 'resolved');
    assert.equal(resolved?.key, firing?.key);
    assert.deepEqual(resolved?.labels, { check: 'moving', check_type: 'dns' });
    assert.match(resolved?.title ?? '', /^moving recovered: A moving\.test → 10\.1\.2\.3 in \d+ ms$/);
    assert.ok(dns.queries.some((q) => q.name === 'app.test' && q.type === TYPE.TXT));
    assert.equal((await storedEvents(h, 'a')).length, 0);

    await h.stop();
    const after = dns.queries.length;
    await pause(100);
    assert.equal(dns.queries.length, after, 'no query after stop()');
  });

  it('refuses a server that is not an IP address, and a timeout longer than the interval', () => {
    const parse = (entry: string) => {
      try {
        parseConfig(`sources: [${entry}]`, registry(), {});
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    };
    assert.match(parse('{name: d, type: dns-check, hostname: a.test, server: "dns.example.com:53"}'), /sources\[0\]\.server: not a resolver address/);
    assert.match(parse('{name: d, type: dns-check, hostname: a.test, record_type: SRV}'), /sources\[0\]\.record_type/);
    assert.match(parse('{name: d, type: dns-check, hostname: a.test, interval: 1s}'), /sources\[0\]\.timeout: timeout 10s is longer than interval 1s/);
    assert.equal(parse('{name: d, type: dns-check, hostname: a.test, record_type: MX, server: "[::1]:5353", expect: [mx.a.test]}'), '');
  });
});
