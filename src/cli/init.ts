import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { ConfigError, parseConfig } from '../config/load.js';
import { isLoopbackHost } from '../http/auth.js';
import { builtinRegistry } from '../plugins/builtins.js';
import { CliError } from './api-client.js';

/** `herald init` flags, as commander hands them over. */
export interface InitOptions {
  dir: string;
  listen: string;
  slackWebhook?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  pagerdutyRoutingKey?: string;
  force?: boolean;
}

interface Receiver {
  name: string;
  lines: string[];
  url?: string;
  secret: boolean;
}

/** A JSON string is a valid YAML double-quoted scalar: no value can break the document. */
const q = (s: string): string => JSON.stringify(s);

function httpUrl(flag: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${flag} ${q(value)}: not a URL (expected http:// or https://…)`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${flag} ${q(value)}: only http:// and https:// URLs are delivered to`, 2);
  return url;
}

/**
 * The CIDRs a target on this machine or the local network needs in
 * `outbound.allow`: the SSRF guard refuses loopback and private addresses by
 * default, and a first run against a local service should work. Link-local and
 * metadata addresses are never allowed this way.
 */
function allowFor(url: URL): string[] {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return ['127.0.0.1/32', '::1/128'];
  if (!ipaddr.isValid(host)) return [];
  const addr = ipaddr.process(host);
  const range = addr.range();
  if (range !== 'loopback' && range !== 'private' && range !== 'uniqueLocal') return [];
  return [`${addr.toString()}/${addr.kind() === 'ipv4' ? 32 : 128}`];
}

function receivers(o: InitOptions): Receiver[] {
  const list: Receiver[] = [];
  if (o.slackWebhook !== undefined) {
    const url = httpUrl('--slack-webhook', o.slackWebhook);
    list.push({
      name: 'slack',
      url: url.href,
      secret: true,
      lines: [
        '  # Slack incoming webhook (docs/receivers/slack.md). The URL is a credential: keep this',
        `  # file private, or write url: \${SLACK_WEBHOOK_URL} and set it in the environment.`,
        '  - name: slack',
        '    type: slack',
        `    url: ${q(o.slackWebhook)}`,
      ],
    });
  }
  if (o.webhookUrl !== undefined) {
    const url = httpUrl('--webhook-url', o.webhookUrl);
    const secret = o.webhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`;
    if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(secret))
      throw new CliError('--webhook-secret: expected whsec_ followed by standard base64 (a Standard Webhooks key)', 2);
    list.push({
      name: 'webhook',
      url: url.href,
      secret: true,
      lines: [
        '  # A signed JSON POST per event (Standard Webhooks, docs/receivers/webhook.md). The',
        '  # receiving end verifies webhook-signature with this secret, using any Standard Webhooks library.',
        '  - name: webhook',
        '    type: webhook',
        `    url: ${q(o.webhookUrl)}`,
        `    secret: ${q(secret)}`,
      ],
    });
  } else if (o.webhookSecret !== undefined) {
    throw new CliError('--webhook-secret needs --webhook-url', 2);
  }
  if (o.pagerdutyRoutingKey !== undefined) {
    if (!/^[A-Za-z0-9]{32}$/.test(o.pagerdutyRoutingKey))
      throw new CliError('--pagerduty-routing-key: expected the 32-character integration key of an Events API v2 integration', 2);
    list.push({
      name: 'pagerduty',
      secret: true,
      lines: [
        '  # PagerDuty Events API v2 (docs/receivers/pagerduty.md): firing events trigger, resolved ones resolve.',
        '  - name: pagerduty',
        '    type: pagerduty',
        `    routing_key: ${q(o.pagerdutyRoutingKey)}`,
        '    # region: eu                          # for accounts on the EU service region',
      ],
    });
  }
  return list;
}

function render(o: InitOptions, given: Receiver[], token: string | undefined): string {
  const allow = [...new Set(given.flatMap((r) => (r.url ? allowFor(new URL(r.url)) : [])))];
  const routed = ['console', ...given.map((r) => r.name)];
  return `# Herald configuration, written by \`herald init\`. Check it with \`herald check-config\`,
# run it with \`herald serve\`. Values may use \${VAR} or \${VAR:-default} from the environment.
# Reference: docs/configuration.md in the Herald repository.

server:
  # Where the API listens (POST /api/v1/events, /hooks/<source>, /readyz, /metrics).
  # Loopback needs no token; any other address requires auth.tokens (docs/security.md).
  listen: \${HERALD_LISTEN:-${o.listen}}
${
  token
    ? `
auth:
  # ${o.listen} is reachable from other machines, so every request needs
  # Authorization: Bearer <token>. Scopes: ingest, read, admin (docs/configuration.md#auth).
  tokens:
    - { name: admin, token: ${q(token)}, scopes: [admin] }
`
    : ''
}
storage:
  # Embedded SQLite; the path is relative to the directory Herald runs in. An event is
  # answered 202 only once it is on disk, so nothing accepted is lost on a crash.
  url: \${HERALD_STORAGE:-sqlite:./herald.db}
${
  allow.length > 0
    ? `
outbound:
  # Loopback and private addresses are refused unless listed here (SSRF guard, docs/security.md);
  # these are the local targets given to herald init.
  allow: [${allow.map(q).join(', ')}]
`
    : ''
}
# sources:                                # more ways in than POST /api/v1/events (docs/sources.md)
#   - name: gh                            # GitHub webhooks at POST /hooks/gh
#     type: github
#     secret: \${GITHUB_WEBHOOK_SECRET}

receivers:
  # Herald's own log: every delivery is printed, handy while trying things out.
  - name: console
    type: log
${given.map((r) => r.lines.join('\n')).join('\n')}${given.length > 0 ? '\n' : ''}
routes:
  # No match: every event goes to these receivers. Narrow a route with
  # match: ['severity=~"critical|error"'], fall through with continue: true, and turn
  # events into incidents (grouping, repeats) with a policy (docs/alerting.md).
  - receivers: [${routed.join(', ')}]
`;
}

/** Writes DIR/herald.yaml; only a config Herald's own parser accepts is written. */
export function runInit(o: InitOptions, out: (line: string) => void): void {
  if (!/^[^\s:]+:\d{1,5}$|^\[[0-9A-Fa-f:.]+\]:\d{1,5}$/.test(o.listen))
    throw new CliError(`--listen ${q(o.listen)}: expected host:port, e.g. 127.0.0.1:9470`, 2);
  const dir = resolve(o.dir);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliError(`--dir ${o.dir}: not a directory`, 2);
  const file = join(dir, 'herald.yaml');
  if (existsSync(file) && !o.force) throw new CliError(`${file} exists; pass --force to overwrite it`, 2);
  const given = receivers(o);
  const host = o.listen.slice(0, o.listen.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  // Herald refuses to listen beyond loopback without a token; a first config must start.
  const token = isLoopbackHost(host) ? undefined : randomBytes(24).toString('base64url');
  const text = render(o, given, token);
  try {
    // The defaults of ${VAR:-default} are what a plain `herald serve` runs with.
    parseConfig(text, builtinRegistry(), {}, file);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`the flags make a config Herald refuses:\n${err.message}`, 2);
    throw err;
  }
  mkdirSync(dir, { recursive: true });
  // Receiver URLs and keys are credentials: only the owner may read the file.
  writeFileSync(file, text, { mode: token || given.some((r) => r.secret) ? 0o600 : 0o644 });
  const cd = relative(process.cwd(), dir);
  out(`wrote ${file} (receivers: ${['console', ...given.map((r) => r.name)].join(', ')}; every event goes to all of them)`);
  if (token) out(`The API on ${o.listen} needs a bearer token: the admin token is in auth.tokens of herald.yaml.`);
  out('');
  out('Next:');
  if (cd !== '') out(`  cd ${cd.includes(' ') ? q(cd) : cd}`);
  out('  herald check-config        # validate it');
  out('  herald serve               # run Herald with it');
  out(`  herald send --title "Hello from Herald" --status info   # in another terminal: a first event`);
  out('');
  out('Reference: docs/configuration.md and docs/receivers/ in the Herald repository; `herald --help` for every command.');
}
