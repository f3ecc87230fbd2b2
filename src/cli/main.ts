#!/usr/bin/env node
import { Command, Option } from 'commander';
import { checkExposure, Herald } from '../app/herald.js';
import { loadConfigAndPlugins } from '../app/load-config.js';
import { ConfigError, maskReceiverConfig } from '../config/load.js';
import { createLogger } from '../lib/logger.js';
import { PluginError } from '../plugins/errors.js';
import { CliError, callApi, type RemoteOptions } from './api-client.js';
import { collect, type EventFlags, eventFromFlags, readPayload, SAMPLE_EVENT } from './event-options.js';
import { defaultRegistry, loadConfig, routesTest, testReceiver } from './local.js';
import { formatOnCall, parseAtOption } from './oncall.js';

const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};
const json = (v: unknown): void => {
  out(JSON.stringify(v, null, 2));
};
const configOption = () => new Option('-c, --config <file>', 'config file').env('HERALD_CONFIG').default('herald.yaml');
const remote = (cmd: Command) =>
  cmd
    .addOption(configOption())
    .addOption(new Option('--server <url>', "Herald's API URL (default: from the config's server.listen)").env('HERALD_URL'))
    .addOption(new Option('--token <token>', 'bearer token').env('HERALD_TOKEN'));
const eventFlags = (cmd: Command) =>
  cmd
    .option('--file <file>', 'event JSON file (- for stdin)')
    .option('--title <title>', 'event title')
    .option('--text <text>', 'event text')
    .addOption(new Option('--status <status>', 'status').choices(['firing', 'resolved', 'info']))
    .addOption(new Option('--severity <severity>', 'severity').choices(['critical', 'error', 'warning', 'info']))
    .option('--key <key>', 'dedup / incident key')
    .option('--source <source>', 'source name')
    .option('--url <url>', 'link to the thing the event is about')
    .option('--label <k=v>', 'label (repeatable)', collect);

const program = new Command('herald')
  .description('Herald: a self-hosted event router. Sources in, routes, a durable queue, receivers out.')
  .version('0.1.0')
  .showHelpAfterError()
  // Usage errors (unknown option, bad choice, missing argument) exit 2, like Herald's own.
  .exitOverride((err) => {
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command('serve')
  .description('run Herald: the API, the durable queue and the delivery workers')
  .addOption(configOption())
  .action(async (o: { config: string }) => {
    // Until the real handler is installed, a SIGHUP must not end the process (its default action).
    const early = () => process.stderr.write('herald: SIGHUP during start-up ignored; send it again once Herald is up\n');
    process.on('SIGHUP', early);
    const { config, registry } = await loadConfigAndPlugins(o.config);
    const log = createLogger({ level: config.log.level, format: config.log.format, secrets: () => herald?.currentConfig().secrets ?? config.secrets });
    let herald: Herald | undefined;
    herald = await Herald.start({ config, registry, log });
    const h = herald;
    process.off('SIGHUP', early);
    process.on('SIGHUP', () => {
      h.reload().catch((err: unknown) => log.error(`reload refused, the running configuration stays: ${(err as Error).message}`));
    });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      h.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });

program
  .command('init')
  .description('write a commented herald.yaml with a first receiver, ready for `herald serve`')
  .option('--dir <dir>', 'folder to write herald.yaml into', '.')
  .option('--listen <host:port>', 'API address (loopback needs no token)', '127.0.0.1:9470')
  .option('--slack-webhook <url>', 'a Slack incoming webhook URL: a `slack` receiver')
  .option('--webhook-url <url>', 'a URL to POST each event to: a signed `webhook` receiver')
  .option('--webhook-secret <whsec_…>', 'with --webhook-url: its Standard Webhooks key (default: a new random one)')
  .option('--pagerduty-routing-key <key>', 'an Events API v2 integration key: a `pagerduty` receiver')
  .option('--force', 'overwrite an existing herald.yaml')
  .action(async (o: import('./init.js').InitOptions) => (await import('./init.js')).runInit(o, out));

program
  .command('check-config')
  .description('validate a config file and print a summary (secrets masked)')
  .addOption(configOption())
  .option('--show', 'print the resolved receivers and routes')
  .action(async (o: { config: string; show?: boolean }) => {
    const config = await loadConfig(o.config);
    try {
      checkExposure(config);
    } catch (err) {
      throw new CliError(`${o.config}: ${(err as Error).message}`, 2);
    }
    const storage = config.storage.url.replace(/\/\/[^@/]*@/, '//***@');
    out(`${o.config}: ok — ${config.receivers.length} receiver(s), ${config.routes.length} route(s), storage ${storage}, listen ${config.server.listen}`);
    if (o.show)
      json({
        receivers: config.receivers.map(maskReceiverConfig),
        routes: config.routes.map((r) => ({ ...r, match: r.match.map((m) => `${m.name}${m.op}${m.value}`) })),
      });
  });

eventFlags(remote(program.command('send').description('post one event to a running Herald, or a raw payload to one of its HTTP sources')))
  .option('--hook <source>', 'post to /hooks/<source> (an HTTP source) instead of the events API')
  .option('--body <file>', 'with --hook: the raw payload to post (- for stdin) instead of an event built from the flags')
  .option('--header <name:value>', 'with --hook: a request header, e.g. "Authorization: Bearer …" (repeatable)', (v: string, all: string[] = []) => [...all, v])
  .action(async (o: EventFlags & RemoteOptions & { hook?: string; body?: string; header?: string[] }) => {
    if (!o.hook) {
      if (o.body || o.header) throw new CliError('--body and --header need --hook <source>', 2);
      const { json: body } = await callApi(o, 'POST', '/api/v1/events', eventFromFlags(o));
      return json(body);
    }
    const headers: Record<string, string> = {};
    for (const h of o.header ?? []) {
      const i = h.indexOf(':');
      if (i <= 0) throw new CliError(`--header ${JSON.stringify(h)}: use "Name: value"`, 2);
      headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
    }
    const payload = o.body ? readPayload(o.body) : JSON.stringify(eventFromFlags(o));
    const { json: body } = await callApi(o, 'POST', `/hooks/${encodeURIComponent(o.hook)}`, undefined, { body: payload, headers });
    json(body);
  });

program
  .command('test')
  .description('send a sample event through one configured receiver now and print the attempt')
  .argument('<receiver>', 'receiver name from the config')
  .addOption(configOption())
  .option('--event <file>', 'event JSON to send instead of the built-in sample')
  .action(async (name: string, o: { config: string; event?: string }) => {
    const input = o.event ? eventFromFlags({ file: o.event }) : SAMPLE_EVENT;
    const ok = await testReceiver(await loadConfig(o.config), name, input, out);
    process.exitCode = ok ? 0 : 1;
  });

const routes = program.command('routes').description('inspect routing');
eventFlags(
  routes.command('test').description('dry run: which receivers an event reaches and what each would send (sends nothing)').addOption(configOption()),
).action(async (o: EventFlags & { config: string }) => {
  json(await routesTest(await loadConfig(o.config), eventFromFlags(o)));
});

remote(program.command('deliveries').description('list deliveries of a running Herald'))
  .addOption(new Option('--state <state>', 'filter by state').choices(['pending', 'running', 'failed', 'succeeded', 'dead']))
  .option('--receiver <name>', 'filter by receiver')
  .option('--limit <n>', 'how many (1–500)', '50')
  .option('--json', 'print JSON')
  .action(async (o: RemoteOptions & { state?: string; receiver?: string; limit: string; json?: boolean }) => {
    const q = new URLSearchParams({ limit: o.limit });
    if (o.state) q.set('state', o.state);
    if (o.receiver) q.set('receiver', o.receiver);
    const { json: body } = await callApi(o, 'GET', `/api/v1/deliveries?${q}`);
    const list = (body as { deliveries: { id: string; receiver: string; state: string; attempts: number; run_at: string; last_error: string | null }[] })
      .deliveries;
    if (o.json) return json(body);
    if (list.length === 0) return out('no deliveries');
    for (const d of list)
      out(`${d.id}  ${d.state.padEnd(9)} ${d.receiver.padEnd(16)} attempts=${d.attempts}  next=${d.run_at}${d.last_error ? `  error: ${d.last_error}` : ''}`);
  });

remote(program.command('replay').description('send a delivery again, or every dead one with --dead'))
  .argument('[id]', 'delivery id')
  .option('--dead', 'replay every dead delivery')
  .action(async (id: string | undefined, o: RemoteOptions & { dead?: boolean }) => {
    if (!id === !o.dead) throw new CliError('give a delivery id or --dead (not both)', 2);
    const path = o.dead ? '/api/v1/deliveries/replay?state=dead' : `/api/v1/deliveries/${encodeURIComponent(id as string)}/replay`;
    const { json: body } = await callApi(o, 'POST', path);
    out(`re-queued ${(body as { replayed: string[] }).replayed.length} deliver${(body as { replayed: string[] }).replayed.length === 1 ? 'y' : 'ies'}`);
  });

remote(program.command('reload').description('make a running Herald re-read its config (like SIGHUP)')).action(async (o: RemoteOptions) => {
  const { json: body } = await callApi(o, 'POST', '/api/v1/reload');
  json(body);
});

interface SilenceView {
  id: string;
  matchers: string[];
  starts_at: string;
  ends_at: string;
  author: string;
  comment: string;
  state: string;
  origin: string;
}

const silence = program.command('silence').description('mute incident notifications for a while: add, list and expire silences');

remote(silence.command('add').description('create a silence on a running Herald; matching notifications are recorded as suppressed, not sent'))
  .requiredOption('--match <matcher>', 'matcher, e.g. severity="critical" or host=~"db-.*" (repeatable; all must match)', collect)
  .option('--duration <duration>', 'how long from now (or from --start), e.g. 2h')
  .option('--until <time>', 'end instead of --duration (RFC 3339)')
  .option('--start <time>', 'start later (RFC 3339; default now)')
  .requiredOption('--author <name>', 'who is silencing')
  .requiredOption('--comment <text>', 'why')
  .option('--json', 'print JSON')
  .action(
    async (o: RemoteOptions & { match: string[]; duration?: string; until?: string; start?: string; author: string; comment: string; json?: boolean }) => {
      if (!o.duration === !o.until) throw new CliError('give --duration or --until (not both)', 2);
      const body = {
        matchers: o.match,
        author: o.author,
        comment: o.comment,
        ...(o.start ? { starts_at: o.start } : {}),
        ...(o.duration ? { duration: o.duration } : { ends_at: o.until }),
      };
      const { json: created } = await callApi(o, 'POST', '/api/v1/silences', body);
      if (o.json) return json(created);
      const s = created as SilenceView;
      out(`silence ${s.id} ${s.state} from ${s.starts_at} until ${s.ends_at}: ${s.matchers.join(', ')}`);
    },
  );

remote(silence.command('ls').description('list silences (API and config): active and pending, or every one with --all'))
  .option('--all', 'include expired silences')
  .option('--json', 'print JSON')
  .action(async (o: RemoteOptions & { all?: boolean; json?: boolean }) => {
    const { json: body } = await callApi(o, 'GET', `/api/v1/silences${o.all ? '?all=true' : ''}`);
    if (o.json) return json(body);
    const list = (body as { silences: SilenceView[] }).silences;
    if (list.length === 0) return out(o.all ? 'no silences' : 'no active or pending silences (--all shows expired ones)');
    for (const s of list) out(`${s.id}  ${s.state.padEnd(7)} ${s.origin.padEnd(6)} until ${s.ends_at}  ${s.matchers.join(', ')}  — ${s.author}: ${s.comment}`);
  });

remote(silence.command('expire').description('end a silence now (API-created ones; config ones are removed from the file)'))
  .argument('<id>', 'silence id (from `herald silence ls`)')
  .action(async (id: string, o: RemoteOptions) => {
    await callApi(o, 'DELETE', `/api/v1/silences/${encodeURIComponent(id)}`);
    out(`expired silence ${id}`);
  });

program
  .command('receivers')
  .description('list receiver types, or print one type’s config JSON Schema')
  .option('--schema <type>', 'print the JSON Schema of a receiver type')
  .option('-c, --config <file>', 'also list the plugins this config loads')
  .action(async (o: { schema?: string; config?: string }) => {
    const registry = o.config ? (await loadConfigAndPlugins(o.config)).registry : defaultRegistry();
    if (o.schema) {
      const r = registry.get(o.schema);
      if (!r) throw new CliError(`unknown receiver type "${o.schema}" (known: ${registry.types().join(', ')})`, 2);
      return json(r.definition.config);
    }
    for (const { definition: d, origin } of registry.all()) out(`${d.type.padEnd(12)} ${d.version.padEnd(8)} ${origin.padEnd(10)} ${d.displayName}`);
  });

program
  .command('plugins')
  .description('list every receiver and source type with its origin (built-in or plugin package) and version')
  .addOption(configOption())
  .action(async (o: { config: string }) => {
    const { registry, plugins } = await loadConfigAndPlugins(o.config);
    for (const { definition: d, origin } of registry.all()) out(`${d.type.padEnd(14)} ${d.version.padEnd(8)} ${origin}`);
    out('');
    for (const { definition: d, origin } of registry.sources.all()) out(`source ${d.type.padEnd(14)} ${d.version.padEnd(8)} ${origin}`);
    if (plugins.length === 0) out('(no plugins configured; add `plugins: [package-or-path]` to the config)');
  });

program
  .command('oncall')
  .description('who is on duty on a schedule now (or --at a time), and the next hand-offs')
  .argument('<schedule>', 'schedule name from the config')
  .addOption(configOption())
  .option('--at <time>', 'RFC 3339, or "YYYY-MM-DD[ HH:MM]" in the schedule\'s time zone')
  .action(async (name: string, o: { config: string; at?: string }) => {
    const config = await loadConfig(o.config);
    const schedule = config.people.schedules.get(name);
    if (!schedule) {
      const known = [...config.people.schedules.keys()];
      throw new CliError(`no schedule named "${name}" (configured: ${known.join(', ') || 'none'})`, 2);
    }
    let at = Date.now();
    if (o.at) {
      try {
        at = parseAtOption(o.at, schedule.time_zone);
      } catch (err) {
        throw new CliError(`--at ${o.at}: ${(err as Error).message}`, 2);
      }
    }
    out(formatOnCall(schedule, at, config.people.directory));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof PluginError) {
    process.stderr.write(`herald: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof CliError) {
    process.stderr.write(`herald: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`herald: ${(err as Error).message}\n`);
  process.exit(1);
});
