import type { SourceDefinition } from '@herald/sdk';
import dnsCheck from './dns.js';
import httpCheck from './http.js';
import tcpCheck from './tcp.js';

export type { CheckInspection, CheckListener, CheckResult, CheckStateName } from './runner.js';
export { isCheckListener } from './runner.js';

/** The active health checks: `http-check`, `tcp-check`, `dns-check`. Their instances have `inspect()`. */
const checks = [httpCheck, tcpCheck, dnsCheck] as SourceDefinition[];
export default checks;
