import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import {
  type EventInput,
  type HttpSourceInstance,
  type HttpSourceRequest,
  type SourceContext,
  SourceRejection,
  withMissingCredentialsAllowed,
} from '@herald/sdk';
import { memoryState } from '@herald/sdk/testing';
import { SourceHost } from '../app/source-host.js';
import type { HeraldConfig, SourceConfig } from '../config/load.js';
import { toHeraldEvent } from '../core/event.js';
import { systemClock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { createLogger } from '../lib/logger.js';
import { makeRedactor } from '../lib/redact.js';
import { Metrics } from '../metrics/metrics.js';
import { createTemplateEngine } from '../templates/liquid-engine.js';
import { CliError } from './api-client.js';
import { routeStored } from './local.js';

export interface SourcesTestInput {
  /** The raw payload, byte for byte as the sender sends it (signatures cover these bytes). */
  payload: Buffer;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** Let a request without any signature or token through (a given one is still checked). */
  skipVerify: boolean;
  /** smtp: the envelope; default from the mail's headers. */
  from?: string;
  to?: string[];
}

/** A refusal the way the sender would see it, plus what to do about it. */
function refused(source: SourceConfig, status: string, code: string, message: string, skipVerify: boolean): CliError {
  let hint = '';
  if (code === 'invalid_signature') {
    hint = /^missing /.test(message)
      ? skipVerify
        ? `\n  hint: this ${source.type} source checks its sender itself, so --skip-verify cannot bypass it; pass the header(s) the sender sends with --header 'Name: value'`
        : "\n  hint: pass the sender's signature/token header(s) with --header 'Name: value' (copy them from the sender's delivery log), or add --skip-verify to test the mapping without them"
      : "\n  hint: the signature is computed over the exact bytes: use the payload file as the sender sent it (not re-formatted JSON) and check the source's secret in the config";
  } else if (/header/i.test(message)) {
    hint = "\n  hint: give the sender's headers with --header 'Name: value' (repeatable)";
  }
  return new CliError(`source "${source.name}" (${source.type}) refused the payload: ${status} ${code}: ${message}${hint}`, 1);
}

/** What create() makes of this source, without starting anything: the kind decides how the payload goes in. */
function kindOf(source: SourceConfig): 'http' | 'listener' {
  const log = createLogger({ level: 'silent', format: 'json' });
  const probe: SourceContext = {
    name: source.name,
    log,
    clock: systemClock,
    http: {
      request: () => Promise.reject(new Error('no requests while probing')),
    },
    net: {
      send: () => Promise.reject(new Error('no connections while probing')),
      connect: () => Promise.reject(new Error('no connections while probing')),
    },
    templates: createTemplateEngine(),
    state: memoryState(),
    emit: () => Promise.reject(new Error('no events while probing')),
    rejected: () => {},
  };
  try {
    return source.definition.create(source.config as never, probe).kind;
  } catch (err) {
    throw new CliError(`source "${source.name}" (${source.type}): ${(err as Error).message}`, 2);
  }
}

async function freeLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', resolve);
  });
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * `herald sources test <source> --payload FILE`: feeds a sender's raw payload
 * to the configured source exactly as Herald would receive it (HTTP sources:
 * their handler with these headers; smtp: a real SMTP session on a private
 * loopback port), captures what it would commit instead of storing it, then
 * routes each event and renders what every receiver would send. Nothing is
 * stored, sent, or acknowledged to anyone; enrichment lookups are not made.
 */
export async function sourcesTest(config: HeraldConfig, name: string, input: SourcesTestInput): Promise<unknown> {
  const source = config.sources.find((s) => s.name === name);
  if (!source) throw new CliError(`no source named "${name}" (configured: ${config.sources.map((s) => s.name).join(', ') || 'none'})`, 2);

  const warnings: string[] = [];
  const redact = makeRedactor(config.secrets);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        try {
          const l = JSON.parse(line) as { msg?: string; reason?: string; detail?: string };
          warnings.push(redact([l.msg, l.reason, l.detail].filter(Boolean).join(': ')));
        } catch {
          warnings.push(redact(line));
        }
      }
      done();
    },
  });
  const log = createLogger({ level: 'warn', format: 'json', destination: sink, secrets: () => config.secrets });
  const committed: { events: EventInput[]; deliveryId?: string }[] = [];
  const host = new SourceHost({
    log,
    clock: systemClock,
    // Counts nothing anyone reads; SourceHost reports to it as in production.
    metrics: new Metrics(() => {
      throw new Error('no store in a dry run');
    }),
    // The one place events would be stored: captured instead, with throwaway ids.
    commit: async (events, idempotency) => {
      committed.push({ events, deliveryId: idempotency?.key.replace(/^source:[^:]*:/, '') });
      return { kind: 'committed' as const, ids: events.map(() => newId()) };
    },
    outbound: () => ({ allow: config.outbound.allow, timeoutMs: config.delivery.timeoutMs }),
    state: () => memoryState(),
  });
  const notes: string[] = [];
  if (source.enrich.length > 0) notes.push(`enrichment not run: its ${source.enrich.length} lookup(s) would make requests`);

  const kind = kindOf(source);
  const unverified: string[] = [];
  try {
    if (kind === 'http') {
      await viaHttp(host, source, config, input, unverified, notes);
    } else if (source.type === 'smtp') {
      if (Object.keys(input.headers).length > 0) throw new CliError('--header is for HTTP sources; an smtp payload is the raw mail, headers included', 2);
      await viaSmtp(host, source, input, notes);
    } else {
      throw new CliError(
        `source "${name}" (${source.type}) is a listener: it takes input by ${source.type === 'checks' || source.type.startsWith('check') ? 'probing targets on a schedule' : 'subscribing to a broker or stream'}, ` +
          'so there is no request to replay here (sources test runs HTTP sources and smtp). Publish the payload to a test topic/stream that a test Herald subscribes to, ' +
          `and see docs/sources/${source.type}.md for its mapping.`,
        2,
      );
    }
  } finally {
    await host.stop();
  }

  const events = committed.flatMap((c) => c.events);
  const routed = [];
  for (const event of events) routed.push({ event, ...(await routeStored(config, toHeraldEvent(event, newId(), Date.now()))) });
  return {
    source: name,
    type: source.type,
    ...(committed[0]?.deliveryId ? { delivery_id: committed[0].deliveryId } : {}),
    ...(unverified.length > 0 ? { unverified } : {}),
    ...(notes.length > 0 ? { notes } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
    stored: false,
    events: routed,
  };
}

async function viaHttp(
  host: SourceHost,
  source: SourceConfig,
  config: HeraldConfig,
  input: SourcesTestInput,
  unverified: string[],
  notes: string[],
): Promise<void> {
  await host.apply([{ ...source, enrich: [] }]);
  const instance = host.httpSource(source.name) as HttpSourceInstance;
  const limit = instance.maxBodyBytes ?? config.server.bodyLimit;
  if (input.payload.length > limit)
    throw refused(source, '413', 'payload_too_large', `the payload is ${input.payload.length} bytes; this source takes at most ${limit}`, false);
  const headers = { ...input.headers };
  if (headers['content-type'] === undefined) {
    // What `herald send --hook` and most senders send; give --header to test another.
    headers['content-type'] = 'application/json';
    notes.push('content-type: application/json assumed (give --header "Content-Type: …" for another)');
  }
  const req: HttpSourceRequest = { method: 'POST', headers, query: {}, rawBody: input.payload };
  try {
    const handle = () => instance.handle(req);
    const result = await (input.skipVerify ? withMissingCredentialsAllowed((what) => unverified.push(what), handle) : handle());
    const { events, deliveryId } = Array.isArray(result) ? { events: result, deliveryId: undefined } : result;
    if (events.length === 0) notes.push('the source maps this payload to no event (Herald would answer 200 and store nothing)');
    await host.emit(source.name, events, { deliveryId: deliveryId || undefined });
  } catch (err) {
    if (err instanceof SourceRejection) throw refused(source, String(err.status), err.code, err.message, input.skipVerify);
    throw err;
  }
}

/** The envelope: given, else the mail's From: and To:/Cc:. */
async function envelopeOf(input: SourcesTestInput): Promise<{ from: string; to: string[] }> {
  const { simpleParser } = await import('mailparser');
  const mail = await simpleParser(input.payload, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
  const addresses = (field: typeof mail.to) =>
    (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address).filter((x): x is string => Boolean(x)));
  const from = input.from ?? addresses(mail.from)[0] ?? '';
  const to = input.to && input.to.length > 0 ? input.to : [...addresses(mail.to), ...addresses(mail.cc)];
  if (to.length === 0) throw new CliError('the mail names no recipient (no To: or Cc: header): give the envelope recipient with --to <address>', 2);
  return { from, to };
}

/**
 * A real SMTP session against the configured source, started on a free
 * loopback port of its own (never the configured one, which a running Herald
 * may hold). STARTTLS and AUTH are left out: the dry run tests the mapping.
 */
async function viaSmtp(host: SourceHost, source: SourceConfig, input: SourcesTestInput, notes: string[]): Promise<void> {
  const envelope = await envelopeOf(input);
  const port = await freeLoopbackPort();
  const { tls, auth, ...rest } = source.config as { tls?: unknown; auth?: unknown };
  if (tls || auth) notes.push('STARTTLS and SMTP AUTH not exercised in the dry run');
  await host.apply([{ ...source, enrich: [], config: { ...rest, listen: `127.0.0.1:${port}` } }]);
  const { createTransport } = await import('nodemailer');
  const transport = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 10_000, socketTimeout: 30_000 });
  try {
    const info = await transport.sendMail({ envelope, raw: input.payload });
    // The id in a 250 answer is a throwaway one: nothing was stored.
    notes.push(`SMTP answer (dry run): ${info.response}`);
    if (info.rejected.length > 0) notes.push(`recipients refused: ${info.rejected.join(', ')}`);
  } catch (err) {
    const e = err as Error & { response?: string };
    throw new CliError(`source "${source.name}" (smtp) refused the mail: ${e.response ?? e.message}`, 1);
  } finally {
    transport.close();
  }
}
