import { Resolver } from 'node:dns/promises';
import { defineSource, type Static, Type } from '@herald/sdk';
import { type CommonCheckConfig, commonCheckProperties, createCheck, errorMessage, type ProbeOutcome, validateCommon } from './runner.js';

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

const config = Type.Object(
  {
    // Not `name` / `type`: those keys name the source itself.
    hostname: Type.String({ minLength: 1, maxLength: 253, description: 'the DNS name to resolve' }),
    record_type: Type.Enum([...RECORD_TYPES], { default: 'A', description: 'record type to ask for' }),
    expect: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: 'values of which at least one must be among the answers' })),
    server: Type.Optional(
      Type.String({ minLength: 1, description: 'resolver to ask, as IP or IP:port (`10.0.0.2:53`, `[fd00::2]:53`); default: the system resolvers' }),
    ),
    ...commonCheckProperties,
  },
  { additionalProperties: false },
);

export type DnsCheckConfig = Static<typeof config>;

const ERROR_TEXT: Record<string, string> = {
  ENOTFOUND: 'no such name (NXDOMAIN)',
  ENODATA: 'no records of this type',
  ETIMEOUT: 'the resolver did not answer',
  ECONNREFUSED: 'the resolver refused the connection',
  ESERVFAIL: 'the resolver answered SERVFAIL',
  EREFUSED: 'the resolver refused the query',
  ECANCELLED: 'cancelled',
};

/** Answers as comparable strings: TXT chunks joined, MX exchanges, names lower-case without the final dot. */
export async function lookup(resolver: Resolver, name: string, type: RecordType): Promise<string[]> {
  const host = (s: string) => s.toLowerCase().replace(/\.$/, '');
  switch (type) {
    case 'A':
      return resolver.resolve4(name);
    case 'AAAA':
      return (await resolver.resolve6(name)).map(host);
    case 'CNAME':
      return (await resolver.resolveCname(name)).map(host);
    case 'TXT':
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    case 'MX':
      return (await resolver.resolveMx(name)).sort((a, b) => a.priority - b.priority).map((mx) => host(mx.exchange));
  }
}

/** Judges the answers against `expect`. Pure. */
export function evaluateDns(c: { hostname: string; record_type: RecordType; expect?: string[] }, answers: string[], ms: number): ProbeOutcome {
  const type = c.record_type;
  const q = quoteIfTxt(type);
  const shown = answers.length > 6 ? `${answers.slice(0, 6).map(q).join(', ')}, … (${answers.length})` : answers.map(q).join(', ');
  if (answers.length === 0) return { ok: false, message: `${type} ${c.hostname}: no records` };
  if (c.expect) {
    const norm = (s: string) => (type === 'TXT' ? s : s.toLowerCase().replace(/\.$/, ''));
    const wanted = c.expect.map(norm);
    if (!answers.some((a) => wanted.includes(norm(a)))) {
      return { ok: false, message: `${type} ${c.hostname} is ${shown}, expected one of ${c.expect.map(q).join(', ')}` };
    }
  }
  return { ok: true, message: `${type} ${c.hostname} → ${shown} in ${ms} ms` };
}

const quoteIfTxt = (type: RecordType) => (s: string) => (type === 'TXT' ? JSON.stringify(s) : s);

/** Checks that the resolver can be configured; returns the problem, if any. */
function serverProblem(server: string): string | undefined {
  try {
    new Resolver().setServers([server]);
    return undefined;
  } catch (err) {
    return `not a resolver address (${errorMessage(err)}); give an IP address with an optional port, e.g. 10.0.0.2:53 or [fd00::2]:53`;
  }
}

/**
 * Resolves `hostname` through the system resolvers or `server`. A failure to
 * resolve, no records, or none of `expect` among the answers fails the check.
 */
export default defineSource({
  type: 'dns-check',
  version: '1.0.0',
  displayName: 'DNS check',
  config,
  validate(c: DnsCheckConfig) {
    const issues = validateCommon(c as CommonCheckConfig);
    const problem = c.server === undefined ? undefined : serverProblem(c.server);
    if (problem) issues.push({ path: 'server', message: problem });
    return issues;
  },
  create(c, ctx) {
    const type = c.record_type as RecordType;
    return createCheck(ctx, 'dns-check', 'dns', c as CommonCheckConfig, async (signal, timeoutMs) => {
      // One resolver per run: cancel() on stop or timeout ends exactly this run's queries.
      const resolver = new Resolver({ timeout: Math.max(1, Math.floor(timeoutMs / 2)), tries: 2 });
      if (c.server !== undefined) resolver.setServers([c.server]);
      const cancel = () => resolver.cancel();
      signal.addEventListener('abort', cancel, { once: true });
      const t0 = performance.now();
      try {
        const answers = await lookup(resolver, c.hostname, type);
        return evaluateDns({ hostname: c.hostname, record_type: type, expect: c.expect }, answers, Math.round(performance.now() - t0));
      } catch (err) {
        const via = c.server === undefined ? '' : ` via ${c.server}`;
        // Cancelled by the run's timeout (or stop): the runner says which.
        if (signal.aborted) return { ok: false, message: `${type} lookup of ${c.hostname}${via} got no answer` };
        const code = (err as { code?: string }).code ?? '';
        return {
          ok: false,
          message: `${type} lookup of ${c.hostname}${via} failed: ${code || errorMessage(err)}${ERROR_TEXT[code] ? ` (${ERROR_TEXT[code]})` : ''}`,
        };
      } finally {
        signal.removeEventListener('abort', cancel);
      }
    });
  },
});
