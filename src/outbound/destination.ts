import type { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { checkAddress, type ParsedCidr } from './ip-policy.js';

/** A destination the SSRF policy refused; carries no URL path, query or credentials. */
export class RefusedError extends Error {
  constructor(host: string, ip: string, rule: string) {
    super(`refused to connect to ${host} (${ip}): ${rule} is not allowed; add its CIDR to outbound.allow to permit it`);
    this.name = 'RefusedError';
  }
}

/**
 * The address to connect to for `host`, checked before any connection: an IP
 * literal directly; a name after resolution, where every address must pass
 * (one bad answer refuses all) and the caller connects to the returned,
 * checked address rather than resolving again (no DNS rebinding window).
 */
export function resolveAllowed(host: string, allow: readonly ParsedCidr[], lookup: typeof dnsLookup, callback: (err: Error | null, ip?: string) => void): void {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) {
    const verdict = checkAddress(bare, allow);
    if (verdict.ok) callback(null, bare);
    else callback(new RefusedError(bare, bare, verdict.rule));
    return;
  }
  lookup(bare, { all: true, verbatim: true }, (err, addresses) => {
    if (err) return callback(err);
    const list = addresses as LookupAddress[];
    for (const a of list) {
      const verdict = checkAddress(a.address, allow);
      if (!verdict.ok) return callback(new RefusedError(bare, a.address, verdict.rule));
    }
    const first = list[0];
    if (!first) return callback(Object.assign(new Error(`${bare} resolved to no address`), { code: 'ENOTFOUND' }));
    callback(null, first.address);
  });
}

/** Re-checks a connected socket's peer (defence in depth); returns the refusal, if any. */
export function checkPeer(host: string, peer: string | undefined, allow: readonly ParsedCidr[]): RefusedError | undefined {
  const verdict = checkAddress(peer ?? '', allow);
  return verdict.ok ? undefined : new RefusedError(host, peer ?? '?', verdict.rule);
}
