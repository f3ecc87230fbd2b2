import type { EventInput, HttpClient, HttpResponse, TcpClient } from '@herald/sdk';
import { DeliveryError } from '@herald/sdk';
import { memoryState } from '@herald/sdk/testing';
import { loadConfigAndPlugins } from '../app/load-config.js';
import type { HeraldConfig } from '../config/load.js';
import { toHeraldEvent, validateEvent } from '../core/event.js';
import { notificationPeople } from '../core/people.js';
import { route } from '../core/routing.js';
import { systemClock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { createLogger } from '../lib/logger.js';
import { makeRedactor } from '../lib/redact.js';
import { createGuardedClient } from '../outbound/guarded-client.js';
import { createGuardedTcp } from '../outbound/guarded-tcp.js';
import { renderDryRun } from '../pipeline/dry-run.js';
import { builtinRegistry } from '../plugins/builtins.js';
import { instantiateReceiver } from '../registry/instantiate.js';
import type { Registry } from '../registry/registry.js';
import { CliError } from './api-client.js';

export function defaultRegistry(): Registry {
  const registry = builtinRegistry();
  return registry;
}

export async function loadConfig(file: string): Promise<HeraldConfig> {
  return (await loadConfigAndPlugins(file)).config;
}

function checkedEvent(input: unknown): EventInput {
  const issues = validateEvent(input);
  if (issues.length > 0) throw new CliError(`invalid event:\n${issues.map((i) => `  ${i.path || '(event)'}: ${i.message}`).join('\n')}`, 2);
  return input as EventInput;
}

/** `herald test <receiver>`: one real send through one configured receiver, printed. */
export async function testReceiver(config: HeraldConfig, name: string, input: unknown, print: (s: string) => void): Promise<boolean> {
  const rc = config.receivers.find((r) => r.name === name);
  if (!rc) throw new CliError(`no receiver named "${name}" (configured: ${config.receivers.map((r) => r.name).join(', ') || 'none'})`, 2);
  const redact = makeRedactor(config.secrets);
  const log = createLogger({ level: 'info', format: config.log.format, secrets: () => config.secrets });
  const guarded = createGuardedClient({ allow: config.outbound.allow, timeoutMs: config.delivery.timeoutMs });
  const http: HttpClient = {
    async request(req) {
      print(`→ ${req.method ?? 'POST'} ${redact(req.url)}`);
      for (const [k, v] of Object.entries(req.headers ?? {})) print(`  ${k}: ${/authorization|key|token/i.test(k) ? '***' : redact(v)}`);
      if (req.body !== undefined) print(`  ${redact(typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString())}`);
      const res: HttpResponse = await guarded.request(req);
      print(`← ${res.status} in ${Math.round(res.durationMs)} ms${res.body ? `: ${redact(res.body.slice(0, 2000))}` : ''}`);
      return res;
    },
  };
  const tcp = createGuardedTcp({ allow: config.outbound.allow, timeoutMs: config.delivery.timeoutMs });
  const net: TcpClient = {
    async send(req) {
      print(`→ TCP ${req.host}:${req.port}${req.tls ? ' (TLS)' : ''}`);
      print(`  ${redact(typeof req.data === 'string' ? req.data : Buffer.from(req.data).toString()).trimEnd()}`);
      await tcp.send(req);
      print('← written and closed');
    },
    async connect(req) {
      print(`→ TCP connect ${req.host}:${req.port}`);
      return tcp.connect(req);
    },
  };
  const event = toHeraldEvent(checkedEvent(input), newId(), Date.now());
  const instance = instantiateReceiver(rc, log.child({ receiver: name }));
  const t0 = performance.now();
  try {
    await instance.send(
      { id: newId(), receiver: name, event, people: notificationPeople(config.routes, config.people, event, name) },
      {
        http,
        net,
        state: memoryState(),
        log: log.child({ receiver: name }),
        clock: systemClock,
        attempt: 1,
        signal: AbortSignal.timeout(config.delivery.timeoutMs),
      },
    );
    print(`✓ delivered to ${name} (${rc.type}) in ${Math.round(performance.now() - t0)} ms`);
    return true;
  } catch (err) {
    const e = err instanceof DeliveryError ? err : undefined;
    print(`✗ ${name} (${rc.type}) failed${e ? ` [${e.reason}${e.retryable ? ', would be retried' : ', permanent'}]` : ''}: ${redact((err as Error).message)}`);
    return false;
  } finally {
    await instance.close?.();
    await guarded.close();
  }
}

/** `herald routes test`: the routing decision and what each receiver would send. Sends nothing. */
export async function routesTest(config: HeraldConfig, input: unknown): Promise<unknown> {
  const event = toHeraldEvent(checkedEvent(input), newId(), Date.now());
  const decision = route(config.routes, event);
  const redact = makeRedactor(config.secrets);
  const log = createLogger({ level: 'silent', format: 'json' });
  const receivers = [];
  for (const name of decision.receivers) {
    const rc = config.receivers.find((r) => r.name === name);
    if (!rc) continue;
    const instance = instantiateReceiver(rc, log);
    const people = notificationPeople(config.routes, config.people, event, name);
    receivers.push({ receiver: name, type: rc.type, people, output: await renderDryRun(instance, { id: newId(), receiver: name, event, people }, redact) });
    await instance.close?.();
  }
  return { matched_routes: decision.matchedRoutes, receivers };
}
