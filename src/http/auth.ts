import { createHash, timingSafeEqual } from 'node:crypto';
import type { HeraldConfig } from '../config/load.js';
import type { Scope } from '../config/schema.js';

export interface Principal {
  name: string;
  scopes: readonly Scope[];
}

/** Anonymous access when no tokens are configured (loopback only: checked at start). */
export const OPEN_PRINCIPAL: Principal = { name: 'anonymous', scopes: ['ingest', 'read', 'admin'] };

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Finds the token's principal. Every configured token is compared, in
 * constant time over equal-length digests, so timing says nothing about
 * which token or how much of it matched.
 */
export function authenticate(tokens: readonly { name: string; token: string; scopes: readonly Scope[] }[], header: string | undefined): Principal | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m) return undefined;
  const given = digest(m[1] as string);
  let found: Principal | undefined;
  for (const t of tokens) if (timingSafeEqual(given, digest(t.token)) && !found) found = { name: t.name, scopes: t.scopes };
  return found;
}

/** Loopback addresses Herald may listen on without tokens. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Refuses a config that would expose an unauthenticated API beyond loopback. */
export function checkExposure(config: HeraldConfig): void {
  if (config.auth.tokens.length === 0 && !isLoopbackHost(config.server.host)) {
    throw new Error(
      `refusing to listen on ${config.server.listen} without auth tokens: anyone who can reach it could post events and replay deliveries. ` +
        'Add auth.tokens to herald.yaml, or listen on 127.0.0.1.',
    );
  }
}
