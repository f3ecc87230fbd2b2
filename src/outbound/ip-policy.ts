import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface ParsedCidr {
  text: string;
  range: [Address, number];
}

export type AddressVerdict = { ok: true } | { ok: false; rule: string };

const V4_RULES: Record<string, string> = {
  unspecified: 'unspecified (0.0.0.0/8)',
  broadcast: 'broadcast (255.255.255.255)',
  multicast: 'multicast (224.0.0.0/4)',
  linkLocal: 'link-local (169.254.0.0/16)',
  loopback: 'loopback (127.0.0.0/8)',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)',
  reserved: 'reserved (IETF special-purpose)',
};

const V6_RULES: Record<string, string> = {
  unspecified: 'unspecified (::)',
  linkLocal: 'link-local (fe80::/10)',
  multicast: 'multicast (ff00::/8)',
  loopback: 'loopback (::1)',
  uniqueLocal: 'unique-local (fc00::/7)',
  teredo: 'Teredo tunnel (2001::/32)',
  reserved: 'reserved (IETF special-purpose)',
  discard: 'discard-only (100::/64)',
  deprecatedSiteLocal: 'site-local (fec0::/10, deprecated)',
};

/** Cloud metadata services get their own rule name: the classic SSRF target. */
const METADATA = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254']);

/** Parses `outbound.allow`. A bare address counts as a /32 or /128. */
export function parseAllowList(cidrs: readonly string[]): ParsedCidr[] {
  return cidrs.map((text) => {
    try {
      if (text.includes('/')) return { text, range: ipaddr.parseCIDR(text) };
      const addr = ipaddr.parse(text);
      return { text, range: [addr, addr.kind() === 'ipv4' ? 32 : 128] };
    } catch {
      throw new Error(`"${text}" is not a CIDR (use e.g. 10.20.0.0/16, 127.0.0.1/32 or fd00::/8)`);
    }
  });
}

function allowed(addr: Address, allow: readonly ParsedCidr[]): boolean {
  return allow.some(({ range }) => range[0].kind() === addr.kind() && addr.match(range as never));
}

function v4Verdict(v4: ipaddr.IPv4): AddressVerdict {
  const text = v4.toString();
  if (METADATA.has(text)) return { ok: false, rule: `cloud metadata (${text})` };
  const range = v4.range();
  if (range === 'unicast') return { ok: true };
  return { ok: false, rule: V4_RULES[range] ?? range };
}

/** The IPv4 address an IPv6 form carries, for the forms that route to it. */
function embeddedV4(v6: ipaddr.IPv6): { v4: ipaddr.IPv4; form: string } | undefined {
  const b = v6.toByteArray();
  const v4At = (i: number) => new ipaddr.IPv4(b.slice(i, i + 4));
  const range = v6.range();
  if (range === 'ipv4Mapped') return { v4: v4At(12), form: 'IPv4-mapped IPv6' };
  if (range === 'rfc6052' || range === 'rfc6145') return { v4: v4At(12), form: 'NAT64 IPv6' };
  if (range === '6to4') return { v4: v4At(2), form: '6to4 IPv6' };
  // Deprecated IPv4-compatible form ::a.b.c.d — all of ::/96 but :: and ::1, which have their own rules
  // (so ::2 is judged as 0.0.0.2, not passed as unicast).
  const isUnspecifiedOrLoopback = b.slice(12, 15).every((x) => x === 0) && ((b[15] ?? 0) === 0 || b[15] === 1);
  if (b.slice(0, 12).every((x) => x === 0) && !isUnspecifiedOrLoopback) return { v4: v4At(12), form: 'IPv4-compatible IPv6' };
  return undefined;
}

/**
 * Decides whether Herald may connect to an address. Only public unicast
 * passes, unless the address is inside an `outbound.allow` CIDR. Pure.
 */
export function checkAddress(ip: string, allow: readonly ParsedCidr[] = []): AddressVerdict {
  let addr: Address;
  try {
    addr = ipaddr.parse(ip.replace(/^\[|\]$/g, ''));
  } catch {
    return { ok: false, rule: 'not an IP address' };
  }
  if (allowed(addr, allow)) return { ok: true };
  if (addr.kind() === 'ipv4') return v4Verdict(addr as ipaddr.IPv4);
  const v6 = addr as ipaddr.IPv6;
  const inner = embeddedV4(v6);
  if (inner) {
    if (allowed(inner.v4, allow)) return { ok: true };
    const verdict = v4Verdict(inner.v4);
    return verdict.ok ? verdict : { ok: false, rule: `${inner.form} of ${inner.v4.toString()}: ${verdict.rule}` };
  }
  const text = v6.toNormalizedString();
  if (METADATA.has(v6.toString())) return { ok: false, rule: `cloud metadata (${v6.toString()})` };
  const range = v6.range();
  if (range === 'unicast') {
    // Only 2000::/3 is allocated as global unicast; anything else is not a public destination.
    const first = v6.toByteArray()[0] ?? 0;
    if ((first & 0xe0) !== 0x20) return { ok: false, rule: 'not global unicast (outside 2000::/3)' };
    return { ok: true };
  }
  return { ok: false, rule: V6_RULES[range] ?? `${range} (${text})` };
}
