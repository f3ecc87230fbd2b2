import type { SourceDefinition } from '@herald/sdk';
import dnsCheck from './dns.js';
import httpCheck from './http.js';
import tcpCheck from './tcp.js';

export type { CheckInspection, CheckListener, CheckResult, CheckStateName } from './runner.js';
export { isCheckListener } from './runner.js';

/**
 * The active health checks: `http-check`, `tcp-check`, `dns-check`. Declared as checks here, the one
 * place that knows them as a family: their instances (CheckRunner) have `inspect()`, and the
 * checks API lists every source whose type says so.
 */
const checks = ([httpCheck, tcpCheck, dnsCheck] as SourceDefinition[]).map(
  (d): SourceDefinition => ({ ...d, capabilities: { ...d.capabilities, check: true } }),
);
export default checks;
