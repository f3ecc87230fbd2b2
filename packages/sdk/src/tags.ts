import { createHash } from 'node:crypto';

/**
 * A short tag that ties a ticket to an incident key: `herald-` and 20 hex
 * digits of the key's SHA-256. It has no spaces or punctuation (Jira and
 * GitHub labels accept it as is) and is the same for every notification about
 * the key, so a ticket receiver finds its open ticket again by this label when
 * its own state does not know it (state lost, or a create whose answer was lost).
 */
export function incidentTag(key: string): string {
  return `herald-${createHash('sha256').update(key).digest('hex').slice(0, 20)}`;
}
