import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { EventInput, HeraldEvent, HttpClient, HttpResponse, TcpClient } from '@herald/sdk';
import { DeliveryError } from '@herald/sdk';
import { memoryState } from '@herald/sdk/testing';
import { loadConfigAndPlugins } from '../app/load-config.js';
import { interpolateNode } from '../config/interpolate.js';
import { ConfigError, type HeraldConfig, pluginSpecs } from '../config/load.js';
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
import { buildRegistry, type LoadedPlugin } from '../plugins/loader.js';
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

/**
 * The registry a config file's `plugins:` give, reading nothing else of the
 * file: listing types must not need every receiver's secret in the environment.
 * Only `${VAR}`s inside `plugins:` are expanded.
 */
export async function loadPluginsOnly(file: string, env: NodeJS.ProcessEnv = process.env): Promise<{ registry: Registry; plugins: LoadedPlugin[] }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: '(file)', message: `cannot read: ${(err as Error).message}` }], file);
  }
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError([{ path: '(yaml)', message: doc.errors[0]?.message.split('\n')[0] ?? 'invalid YAML' }], file);
  const plugins = doc.get('plugins', true);
  const issues = interpolateNode(plugins, 'plugins', env);
  if (issues.length > 0) throw new ConfigError(issues, file);
  const raw = { plugins: doc.toJS()?.plugins === undefined ? undefined : (plugins as { toJSON(): unknown } | undefined)?.toJSON() };
  return buildRegistry(pluginSpecs(raw, file), dirname(resolve(file)));
}

/** Whether something that fails as an event is more likely a sender's own payload. */
function looksLikeSenderPayload(input: unknown): boolean {
  const items = Array.isArray(input) ? input : [input];
  return items.some((i) => i !== null && typeof i === 'object' && typeof (i as { title?: unknown }).title !== 'string');
}

function checkedEvent(input: unknown, file?: string): EventInput {
  const issues = validateEvent(input);
  if (issues.length === 0) return input as EventInput;
  const hint =
    file && looksLikeSenderPayload(input)
      ? `\n${file} is not a Herald event (it has no "title"). If it is what a sender posts (GitHub, Alertmanager, Sentry, a mail, …), ` +
        `run it through the source that takes it instead:\n  herald sources test <source> --payload ${file} [--header 'Name: value']…`
      : '';
  throw new CliError(`invalid event${file ? ` in ${file}` : ''}:\n${issues.map((i) => `  ${i.path || '(event)'}: ${i.message}`).join('\n')}${hint}`, 2);
}

/** `herald test --event <file>`: a Herald event, refused with a pointer to `sources test` when it is a sender payload. */
export function readEventFile(file: string): EventInput {
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  } catch (err) {
    throw new CliError(`--event ${file}: ${(err as Error).message}`, 2);
  }
  return checkedEvent(input, file === '-' ? '(stdin)' : file);
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
  return routeStored(config, toHeraldEvent(checkedEvent(input), newId(), Date.now()));
}

/**
 * The routing decision and rendered output for an event as Herald would have
 * stored it (e.g. one a source emitted in `sources test`, already stamped with
 * its `source_type`): not validated again as input.
 */
export async function routeStored(config: HeraldConfig, event: HeraldEvent): Promise<{ matched_routes: unknown; receivers: unknown[] }> {
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
