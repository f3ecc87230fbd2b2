#!/usr/bin/env node
// Only light modules load up front: each command imports what it needs when it runs, so the
// API commands (deliveries, incidents, send, …) load no receivers, sources, schemas or protocol
// libraries (timings in bench/RESULTS.md, "CLI start-up").
import { Command, Option } from 'commander';
import type { Herald as HeraldApp } from '../app/herald.js';
import { CliError, callApi, type RemoteOptions } from './api-client.js';
import { collect, type EventFlags, eventFromFlags, parseHeaders, readPayload, readPayloadBytes, SAMPLE_EVENT } from './event-options.js';
import { type DeliveryLine, formatDelivery, formatIncident, formatIncidentLine, type IncidentDetail, type IncidentView } from './format.js';

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
  })
  // Commander's own usage errors carry the code Herald's usage errors do.
  .configureOutput({ outputError: (str, write) => write(`herald: HERALD_ERR_CLI_USAGE: ${str.replace(/^error: /, '')}`) });

program
  .command('serve')
  .description('run Herald: the API, the durable queue and the delivery workers')
  .addOption(configOption())
  .action(async (o: { config: string }) => {
    // Until the real handler is installed, a SIGHUP must not end the process (its default action).
    const early = () => process.stderr.write('herald: SIGHUP during start-up ignored; send it again once Herald is up\n');
    process.on('SIGHUP', early);
    const [{ Herald }, { loadConfigAndPlugins }, { createLogger }, { serveBanner }] = await Promise.all([
      import('../app/herald.js'),
      import('../app/load-config.js'),
      import('../lib/logger.js'),
      import('./banner.js'),
    ]);
    const { config, registry } = await loadConfigAndPlugins(o.config);
    const log = createLogger({ level: config.log.level, format: config.log.format, secrets: () => herald?.currentConfig().secrets ?? config.secrets });
    let herald: HeraldApp | undefined;
    herald = await Herald.start({ config, registry, log });
    const h = herald;
    process.off('SIGHUP', early);
    process.stderr.write(serveBanner(h.address(), o.config, config.auth.tokens.length > 0));
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
    const [{ loadConfig }, { checkExposure }, { maskReceiverConfig }] = await Promise.all([
      import('./local.js'),
      import('../app/herald.js'),
      import('../config/load.js'),
    ]);
    const config = await loadConfig(o.config);
    try {
      checkExposure(config);
    } catch (err) {
      throw new CliError(`${o.config}: ${(err as Error).message}`, 2);
    }
    const storage = config.storage.url.replace(/\/\/[^@/]*@/, '//***@');
    out(`${o.config}: ok — ${config.receivers.length} receiver(s), ${config.routes.length} route(s), storage ${storage}, listen ${config.server.listen}`);
    for (const w of config.warnings) process.stderr.write(`${o.config}: warning: ${w}\n`);
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
    const headers = parseHeaders(o.header);
    const payload = o.body ? readPayload(o.body) : JSON.stringify(eventFromFlags(o));
    const { json: body } = await callApi(o, 'POST', `/hooks/${encodeURIComponent(o.hook)}`, undefined, { body: payload, headers });
    json(body);
  });

program
  .command('test')
  .description('send a sample event through one configured receiver now and print the attempt')
  .argument('<receiver>', 'receiver name from the config')
  .addOption(configOption())
  .option('--event <file>', 'event JSON to send instead of the built-in sample (a Herald event; a sender payload goes through `sources test`)')
  .action(async (name: string, o: { config: string; event?: string }) => {
    const { loadConfig, readEventFile, testReceiver } = await import('./local.js');
    const input = o.event ? readEventFile(o.event) : SAMPLE_EVENT;
    const ok = await testReceiver(await loadConfig(o.config), name, input, out);
    process.exitCode = ok ? 0 : 1;
  });

const routes = program.command('routes').description('inspect routing');
eventFlags(
  routes.command('test').description('dry run: which receivers an event reaches and what each would send (sends nothing)').addOption(configOption()),
).action(async (o: EventFlags & { config: string }) => {
  const { loadConfig, routesTest } = await import('./local.js');
  json(await routesTest(await loadConfig(o.config), eventFromFlags(o)));
});

const sources = program.command('sources').description('inspect sources');
sources
  .command('test')
  .description("dry run: a sender's raw payload through a configured source's mapping and the routes (stores and sends nothing)")
  .argument('<source>', 'source name from the config')
  .addOption(configOption())
  .requiredOption('--payload <file>', 'the raw payload as the sender posts it (for smtp: the raw mail, headers and body); - for stdin')
  .option('--header <name:value>', 'a request header the sender sends, e.g. "X-GitHub-Event: push" (repeatable)', collect)
  .option('--skip-verify', 'accept the payload when the headers carry no signature or token (given ones are still checked)')
  .option('--from <address>', "smtp: envelope sender (default: the mail's From:)")
  .option('--to <address>', "smtp: envelope recipient (repeatable; default: the mail's To: and Cc:)", collect)
  .action(async (name: string, o: { config: string; payload: string; header?: string[]; skipVerify?: boolean; from?: string; to?: string[] }) => {
    const [{ loadConfig }, { sourcesTest }] = await Promise.all([import('./local.js'), import('./sources-test.js')]);
    const config = await loadConfig(o.config);
    const result = await sourcesTest(config, name, {
      payload: readPayloadBytes(o.payload),
      headers: parseHeaders(o.header),
      skipVerify: o.skipVerify === true,
      from: o.from,
      to: o.to,
    });
    json(result);
  });

remote(program.command('deliveries').description('list deliveries of a running Herald'))
  .addOption(new Option('--state <state>', 'filter by state').choices(['pending', 'running', 'failed', 'succeeded', 'dead', 'suppressed']))
  .option('--receiver <name>', 'filter by receiver')
  .option('--limit <n>', 'how many (1–500)', '50')
  .option('--json', 'print JSON')
  .action(async (o: RemoteOptions & { state?: string; receiver?: string; limit: string; json?: boolean }) => {
    const q = new URLSearchParams({ limit: o.limit });
    if (o.state) q.set('state', o.state);
    if (o.receiver) q.set('receiver', o.receiver);
    const { json: body } = await callApi(o, 'GET', `/api/v1/deliveries?${q}`);
    if (o.json) return json(body);
    const list = (body as { deliveries: DeliveryLine[] }).deliveries;
    if (list.length === 0) return out('no deliveries');
    for (const d of list) out(formatDelivery(d));
  });

const incidents = program.command('incidents').description('incidents of a running Herald: list, show, acknowledge, resolve');

remote(incidents.command('ls', { isDefault: true }).description('list incidents, newest first (the default: `herald incidents`)'))
  .addOption(
    new Option('--state <state>', 'firing (not acknowledged), acknowledged (still firing) or resolved').choices(['firing', 'acknowledged', 'resolved']),
  )
  .option('--route <route>', 'only this route')
  .option('--limit <n>', 'how many (1–500)', '50')
  .option('--json', 'print JSON')
  .action(async (o: RemoteOptions & { state?: string; route?: string; limit: string; json?: boolean }) => {
    const q = new URLSearchParams({ limit: o.limit });
    if (o.state) q.set('state', o.state);
    if (o.route) q.set('route', o.route);
    const { json: body } = await callApi(o, 'GET', `/api/v1/incidents?${q}`);
    if (o.json) return json(body);
    const list = (body as { incidents: IncidentView[] }).incidents;
    if (list.length === 0) return out(o.state ? `no ${o.state} incidents` : 'no incidents');
    for (const i of list) out(formatIncidentLine(i));
  });

remote(incidents.command('show').description('one incident: state, who acknowledged or resolved it, its events and notifications'))
  .argument('<id>', 'incident id (from `herald incidents`)')
  .option('--json', 'print JSON')
  .action(async (id: string, o: RemoteOptions & { json?: boolean }) => {
    const { json: body } = await callApi(o, 'GET', `/api/v1/incidents/${encodeURIComponent(id)}`);
    if (o.json) return json(body);
    out(formatIncident(body as IncidentDetail));
  });

remote(incidents.command('ack').description('acknowledge a firing incident: stops its repeats and tells receivers that take acknowledgements'))
  .argument('<id>', 'incident id')
  .option('--by <name>', "who acknowledges (default: the token's name)")
  .option('--comment <text>', 'why, or what happens next; shown by `incidents show`')
  .action(async (id: string, o: RemoteOptions & { by?: string; comment?: string }) => {
    const body = { ...(o.by !== undefined ? { by: o.by } : {}), ...(o.comment !== undefined ? { comment: o.comment } : {}) };
    const { json: r } = await callApi(o, 'POST', `/api/v1/incidents/${encodeURIComponent(id)}/ack`, body);
    const { by, notified } = r as { by: string; notified: string[] };
    out(`acknowledged incident ${id} as ${by}${notified.length > 0 ? `; told ${notified.join(', ')}` : ''}`);
  });

remote(incidents.command('resolve').description('resolve a firing incident by hand; the route sends its resolved notification'))
  .argument('<id>', 'incident id')
  .option('--by <name>', "who resolves (default: the token's name)")
  .action(async (id: string, o: RemoteOptions & { by?: string }) => {
    const { json: r } = await callApi(o, 'POST', `/api/v1/incidents/${encodeURIComponent(id)}/resolve`, o.by !== undefined ? { by: o.by } : {});
    out(`resolved incident ${id} as ${(r as { by: string }).by}`);
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
    const { defaultRegistry, loadPluginsOnly } = await import('./local.js');
    const registry = o.config ? (await loadPluginsOnly(o.config)).registry : defaultRegistry();
    if (o.schema) {
      const r = registry.get(o.schema);
      if (!r) throw new CliError(`unknown receiver type "${o.schema}" (known: ${registry.types().join(', ')})`, 2);
      return json(r.definition.config);
    }
    const all = registry.all();
    // As wide as the longest type, so a long one (github-issues, a plugin's) keeps the columns.
    const width = Math.max(12, ...all.map(({ definition: d }) => d.type.length + 1));
    for (const { definition: d, origin } of all) out(`${d.type.padEnd(width)} ${d.version.padEnd(8)} ${origin.padEnd(10)} ${d.displayName}`);
  });

const configCommand = program.command('config').description('the config file format');
configCommand
  .command('schema')
  .description('print the JSON Schema of the config file (top-level keys, every receiver and source type), for editors')
  .option('-c, --config <file>', 'also include the receiver and source types of the plugins this config loads')
  .action(async (o: { config?: string }) => {
    const [{ defaultRegistry, loadPluginsOnly }, { configJsonSchema }] = await Promise.all([import('./local.js'), import('../config/json-schema.js')]);
    const registry = o.config ? (await loadPluginsOnly(o.config)).registry : defaultRegistry();
    json(configJsonSchema(registry));
  });

program
  .command('plugins')
  .description('list every receiver and source type with its origin (built-in or plugin package) and version')
  .addOption(configOption())
  .action(async (o: { config: string }) => {
    // Listing types needs only the `plugins:` list: the rest of the file (and its ${SECRET}s) is not read.
    const { loadPluginsOnly } = await import('./local.js');
    const { registry, plugins } = await loadPluginsOnly(o.config);
    const width = Math.max(14, ...[...registry.all(), ...registry.sources.all()].map(({ definition: d }) => d.type.length + 1));
    for (const { definition: d, origin } of registry.all()) out(`${d.type.padEnd(width)} ${d.version.padEnd(8)} ${origin}`);
    out('');
    for (const { definition: d, origin } of registry.sources.all()) out(`source ${d.type.padEnd(width)} ${d.version.padEnd(8)} ${origin}`);
    if (plugins.length === 0) out('(no plugins configured; add `plugins: [package-or-path]` to the config)');
  });

program
  .command('oncall')
  .description('who is on duty on a schedule now (or --at a time), and the next hand-offs')
  .argument('<schedule>', 'schedule name from the config')
  .addOption(configOption())
  .option('--at <time>', 'RFC 3339, or "YYYY-MM-DD[ HH:MM]" in the schedule\'s time zone')
  .action(async (name: string, o: { config: string; at?: string }) => {
    const [{ loadConfig }, { formatOnCall, parseAtOption }] = await Promise.all([import('./local.js'), import('./oncall.js')]);
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
  // By name, not instanceof: importing their modules here would load the config schemas for every command.
  const name = (err as Error | undefined)?.name;
  if (name === 'ConfigError') {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  if (name === 'PluginError') {
    process.stderr.write(`herald: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (err instanceof CliError) {
    process.stderr.write(`herald: ${err.code}: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  // Other coded errors (StoreUnavailableError when a local command opens the store) print their code too.
  const message = (err as Error | undefined)?.message ?? String(err);
  const code = (err as { code?: unknown } | undefined)?.code;
  const coded = typeof code === 'string' && code.startsWith('HERALD_ERR_') && !message.startsWith(code);
  process.stderr.write(`herald: ${coded ? `${code}: ` : ''}${message}\n`);
  process.exit(1);
});
