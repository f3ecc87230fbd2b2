import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkAddress, parseAllowList } from './ip-policy.js';

// Pure function: nothing here touches the network.
describe('address policy', () => {
  const refused: [string, RegExp][] = [
    ['127.0.0.1', /^loopback/],
    ['127.255.255.254', /^loopback/],
    ['::1', /^loopback/],
    ['0.0.0.0', /^unspecified/],
    ['::', /^unspecified/],
    ['10.1.2.3', /^private/],
    ['172.16.0.1', /^private/],
    ['172.31.255.255', /^private/],
    ['192.168.1.1', /^private/],
    ['169.254.169.254', /^cloud metadata/],
    ['fd00:ec2::254', /^cloud metadata/],
    ['169.254.1.1', /^link-local/],
    ['100.64.0.1', /^carrier-grade NAT/],
    ['224.0.0.1', /^multicast/],
    ['255.255.255.255', /^broadcast/],
    ['198.18.0.1', /^reserved/],
    ['192.0.0.8', /^reserved/],
    ['240.0.0.1', /^reserved/],
    ['::ffff:127.0.0.1', /^IPv4-mapped IPv6 of 127\.0\.0\.1: loopback/],
    ['::ffff:7f00:1', /^IPv4-mapped IPv6 of 127\.0\.0\.1: loopback/],
    ['::ffff:10.0.0.1', /^IPv4-mapped IPv6 of 10\.0\.0\.1: private/],
    ['::ffff:169.254.169.254', /cloud metadata/],
    ['::7f00:1', /^IPv4-compatible IPv6 of 127\.0\.0\.1/],
    ['::2', /^IPv4-compatible IPv6 of 0\.0\.0\.2: unspecified/],
    ['::a00:1', /^IPv4-compatible IPv6 of 10\.0\.0\.1: private/],
    ['fec0::1', /^site-local/],
    ['4000::1', /^not global unicast/],
    ['64:ff9b:1::a00:1', /^NAT64 IPv6 of 10\.0\.0\.1/],
    ['64:ff9b::a00:1', /^NAT64 IPv6 of 10\.0\.0\.1: private/],
    ['2002:a00:1::', /^6to4 IPv6 of 10\.0\.0\.1: private/],
    ['2001::1', /^Teredo/],
    ['fd00::1', /^unique-local/],
    ['fe80::1', /^link-local/],
    ['ff02::1', /^multicast/],
    ['2001:db8::1', /^reserved/],
    ['not-an-ip', /^not an IP address/],
  ];
  for (const [ip, rule] of refused) {
    it(`refuses ${ip}`, () => {
      const v = checkAddress(ip);
      assert.equal(v.ok, false);
      assert.match((v as { rule: string }).rule, rule);
    });
  }

  for (const ip of ['93.184.216.34', '1.1.1.1', '2606:4700::1111', '::ffff:93.184.216.34', '64:ff9b::5db8:d822']) {
    it(`allows public ${ip}`, () => assert.deepEqual(checkAddress(ip), { ok: true }));
  }

  it('outbound.allow exempts exactly its CIDRs', () => {
    const allow = parseAllowList(['127.0.0.0/8', '10.20.0.0/16', 'fd00::1']);
    assert.deepEqual(checkAddress('127.0.0.1', allow), { ok: true });
    assert.deepEqual(checkAddress('::ffff:127.0.0.1', allow), { ok: true });
    assert.deepEqual(checkAddress('10.20.5.5', allow), { ok: true });
    assert.equal(checkAddress('10.21.0.1', allow).ok, false);
    assert.deepEqual(checkAddress('fd00::1', allow), { ok: true });
    assert.equal(checkAddress('fd00::2', allow).ok, false);
    assert.equal(checkAddress('::1', allow).ok, false, 'an IPv4 range does not allow IPv6 loopback');
  });

  it('names a bad allow-list entry', () => {
    assert.throws(() => parseAllowList(['10.0.0.0/8', 'nonsense/99']), /"nonsense\/99" is not a CIDR/);
    assert.throws(() => parseAllowList(['10.0.0.0/40']), /"10\.0\.0\.0\/40" is not a CIDR/);
  });
});
