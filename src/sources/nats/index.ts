import {
  Bytes,
  compileMapping,
  Duration,
  defineSource,
  EventMappingSchema,
  type ListenerConnection,
  type MessageOutcome,
  parseBytes,
  parseDuration,
  processMessage,
  ReconnectingListener,
  type RetryInfo,
  Secret,
  type SourceContext,
  type Static,
  Type,
} from '@herald/sdk';
// Loaded on first connect, so processes that never consume (the CLI) do not pay for it.
import type { JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';

const config = Type.Object(
  {
    servers: Type.Array(Type.String({ minLength: 1, description: 'nats://host:4222, tls://host:4222 or host:port' }), {
      minItems: 1,
      description: 'NATS servers to try; cluster gossip is ignored, so only these are ever contacted',
    }),
    subject: Type.String({ minLength: 1, description: 'subject (wildcards * and > allowed); with `stream`, the consumer filter' }),
    stream: Type.Optional(Type.String({ pattern: '^[^.*>\\s]+$', description: 'JetStream stream to consume from (must exist)' })),
    durable: Type.Optional(Type.String({ pattern: '^[^.*>\\s]+$', description: 'durable consumer name; created if missing (default: herald-<source name>)' })),
    ack_wait: Duration({ default: '30s', description: 'JetStream: redeliver a message not acked within this time' }),
    queue: Type.Optional(Type.String({ minLength: 1, description: 'core NATS: queue group, so several Herald instances share the subject' })),
    user: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Secret()),
    token: Type.Optional(Secret({ description: 'auth token' })),
    mapping: Type.Optional(EventMappingSchema),
    max_message_size: Bytes({ default: '1MiB', description: 'larger messages are refused (JetStream: terminated)' }),
    retry_delay: Duration({ default: '5s', description: 'JetStream: redelivery delay (nak) when the store is unavailable' }),
    max_in_flight: Type.Integer({ minimum: 1, maximum: 10_000, default: 32, description: 'JetStream: messages pulled ahead' }),
  },
  { additionalProperties: false },
);
type Config = Static<typeof config>;

/** host and port of one `servers` entry. */
export function parseServer(text: string): { host: string; port: number; tls: boolean } {
  const withScheme = /^[a-z]+:\/\//i.test(text) ? text : `nats://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a server address (use nats://host:4222)`);
  }
  if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new Error(`${JSON.stringify(text)}: use nats:// or tls://, not ${u.protocol}//`);
  if (u.username || u.password) throw new Error(`${JSON.stringify(text)}: give credentials as user/password/token, not in the URL`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error(`${JSON.stringify(text)} has no host`);
  return { host, port: u.port ? Number(u.port) : 4222, tls: u.protocol === 'tls:' };
}

/**
 * NATS subscriber. With `stream`, a JetStream durable pull consumer with
 * explicit acks: a message is acked after its events are committed, nak'ed
 * with `retry_delay` when the store is unavailable, and terminated when it can
 * never be stored. Without `stream`, a core subscription (no redelivery).
 */
export default defineSource({
  type: 'nats',
  version: '1.0.0',
  displayName: 'NATS / JetStream subscriber',
  docsUrl: 'https://docs.nats.io/nats-concepts/jetstream/consumers',
  config,
  validate(c: Config) {
    const issues: { path: string; message: string }[] = [];
    c.servers.forEach((s, i) => {
      try {
        parseServer(s);
      } catch (err) {
        issues.push({ path: `servers[${i}]`, message: (err as Error).message });
      }
    });
    if (c.durable && !c.stream) issues.push({ path: 'durable', message: 'durable needs stream (JetStream)' });
    if (c.queue && c.stream) issues.push({ path: 'queue', message: 'queue is for core NATS; a JetStream durable is already shared' });
    if (c.password && !c.user) issues.push({ path: 'password', message: 'password needs user' });
    if (c.token && c.user) issues.push({ path: 'token', message: 'give token or user/password, not both' });
    return issues;
  },
  create(c, ctx) {
    return new NatsListener(c, ctx);
  },
});

class NatsListener extends ReconnectingListener {
  private readonly map;
  private readonly maxBytes: number;
  private readonly retryMs: number;

  constructor(
    private readonly c: Config,
    private readonly ctx: SourceContext,
  ) {
    super({ clock: ctx.clock, log: ctx.log, reconnect: { initialMs: 1000, maxMs: 30_000 }, where: c.servers.join(', ') });
    this.map = c.mapping ? compileMapping(c.mapping, ctx.templates, 'mapping') : undefined;
    this.maxBytes = parseBytes(c.max_message_size);
    this.retryMs = parseDuration(c.retry_delay);
  }

  protected override onRetry(info: RetryInfo): void {
    if (info.wasConnected) this.ctx.log.warn({ reason: info.reason, retry_in_ms: info.delayMs }, 'NATS connection lost; reconnecting');
    else this.ctx.log.error({ err: info.reason, attempt: info.attempt, retry_in_ms: info.delayMs }, 'cannot consume from NATS; retrying');
  }

  /**
   * Connects and starts consuming. The client does not reconnect by itself: a
   * lost connection ends this one and the next goes through the SSRF guard
   * and backoff() again, like every listener's.
   */
  protected override async connect(signal: AbortSignal): Promise<ListenerConnection> {
    const { servers, tlsName } = await this.pinnedServers(signal);
    const { connect } = await import('@nats-io/transport-node');
    const nc = await connect({
      servers,
      name: `herald:${this.ctx.name}`,
      ignoreClusterUpdates: true,
      reconnect: false,
      user: this.c.user,
      pass: this.c.password,
      token: this.c.token,
      // The pinned address is an IP: verify the certificate against the configured name.
      tls: tlsName ? ({ servername: tlsName } as NodeConnectionOptions['tls']) : undefined,
      timeout: 10_000,
    });
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect' || s.type === 'error')
          this.ctx.log.warn({ status: s.type, detail: String((s as { error?: unknown }).error ?? '') }, 'NATS connection status');
      }
    })().catch(() => {});
    let consuming: { done: Promise<void>; stop: () => void };
    try {
      consuming = this.c.stream ? await this.consumeJetStream(nc, this.c.stream) : await this.consumeCore(nc);
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    const ended = Promise.race([
      nc.closed().then((err) => (err ? err.message : 'connection closed')),
      consuming.done.then(
        () => 'consumer ended',
        (err: Error) => err.message,
      ),
    ]);
    // Whatever ended first, the connection goes with it before the next attempt.
    const closed = ended.then(async (reason) => {
      await nc.close().catch(() => {});
      return reason;
    });
    return {
      closed,
      close: async () => {
        consuming.stop();
        // Unacked JetStream messages are redelivered after ack_wait.
        await nc.close();
      },
    };
  }

  /** Resolves the configured servers through the SSRF guard, so the client only dials checked addresses. */
  private async pinnedServers(signal: AbortSignal): Promise<{ servers: string[]; tlsName?: string }> {
    const out: string[] = [];
    let tlsName: string | undefined;
    const errors: string[] = [];
    for (const s of this.c.servers) {
      const { host, port, tls } = parseServer(s);
      try {
        const probe = await this.ctx.net.connect({ host, port, signal, timeoutMs: 10_000 });
        const ip = probe.remoteAddress;
        probe.destroy();
        if (!ip) continue;
        out.push(`${tls ? 'tls' : 'nats'}://${ip.includes(':') ? `[${ip}]` : ip}:${port}`);
        if (tls) tlsName ??= host;
      } catch (err) {
        errors.push(`${host}:${port}: ${(err as Error).message}`);
      }
    }
    if (out.length === 0) throw new Error(`no NATS server reachable: ${errors.join('; ')}`);
    return { servers: out, tlsName };
  }

  private async consumeJetStream(nc: NatsConnection, stream: string): Promise<{ done: Promise<void>; stop: () => void }> {
    const durable = this.c.durable ?? `herald-${this.ctx.name.replace(/[.*>\s]/g, '_')}`;
    const { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } = await import('@nats-io/jetstream');
    const { nanos } = await import('@nats-io/transport-node');
    const jsm = await jetstreamManager(nc);
    const wanted = { ack_wait: nanos(parseDuration(this.c.ack_wait)), filter_subject: this.c.subject };
    try {
      const info = await jsm.consumers.info(stream, durable);
      if (info.config.ack_policy !== AckPolicy.Explicit) throw new Error(`consumer "${durable}" on stream "${stream}" does not use explicit acks`);
      if (info.config.filter_subject !== this.c.subject || info.config.ack_wait !== wanted.ack_wait) await jsm.consumers.update(stream, durable, wanted);
    } catch (err) {
      if (!/consumer not found/i.test((err as Error).message)) throw err;
      await jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_deliver: -1, ...wanted });
    }
    const consumer = await jetstream(nc).consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: this.c.max_in_flight });
    this.ctx.log.info({ stream, durable, subject: this.c.subject }, 'consuming NATS JetStream');
    const done = (async () => {
      for await (const m of messages) await this.handleJs(m, stream);
    })();
    return { done, stop: () => void messages.stop() };
  }

  private async handleJs(m: JsMsg, stream: string): Promise<void> {
    const msgId = m.headers?.get('Nats-Msg-Id');
    const what = `${stream} seq ${m.seq} (${m.subject}, delivery ${m.info.deliveryCount})`;
    const outcome: MessageOutcome = await processMessage(m.data, {
      maxBytes: this.maxBytes,
      map: this.map,
      vars: { subject: m.subject, headers: headersOf(m.headers), source: this.ctx.name, stream, seq: m.seq },
      deliveryId: msgId ? `msg:${msgId}` : `seq:${stream}:${m.seq}`,
      emit: (events, options) => this.ctx.emit(events, options),
      rejected: (reason, detail) => this.ctx.rejected(reason, `NATS message ${what} refused (terminated): ${detail}`),
      onRetry: (err) =>
        this.ctx.log.warn({ err: err.message, message: what, retry_in_ms: this.retryMs }, 'could not store the NATS message; nak, it will be redelivered'),
    });
    if (outcome === 'ack') m.ack();
    else if (outcome === 'retry') m.nak(this.retryMs);
    // No reason text: servers before 2.10.4 do not parse "+TERM <reason>" and would leave the message pending.
    else m.term();
  }

  private async consumeCore(nc: NatsConnection): Promise<{ done: Promise<void>; stop: () => void }> {
    const sub = nc.subscribe(this.c.subject, { queue: this.c.queue });
    // The server has the subscription once the flush returns: nothing published after start() is missed.
    await nc.flush();
    this.ctx.log.info({ subject: this.c.subject, queue: this.c.queue }, 'subscribed to NATS subject (core: no redelivery)');
    const done = (async () => {
      for await (const m of sub) await this.handleCore(m);
    })();
    return { done, stop: () => sub.unsubscribe() };
  }

  /** Core NATS has no acks: a failure loses the message, so it is logged as an error; a request gets the answer. */
  private async handleCore(m: Msg): Promise<void> {
    let ids: string[] = [];
    let answer: object | undefined;
    const outcome = await processMessage(m.data, {
      maxBytes: this.maxBytes,
      map: this.map,
      vars: { subject: m.subject, headers: headersOf(m.headers), source: this.ctx.name },
      deliveryId: m.headers?.get('Nats-Msg-Id') || undefined,
      emit: async (events, options) => {
        ids = (await this.ctx.emit(events, options)).ids;
      },
      rejected: (reason, detail) => {
        answer = { error: reason, detail };
        this.ctx.rejected(reason, `NATS message on ${m.subject} refused: ${detail}`);
      },
      onRetry: (err) => {
        answer = { error: 'store_unavailable', detail: err.message };
        this.ctx.log.error(
          { err: err.message, subject: m.subject, request: Boolean(m.reply) },
          m.reply
            ? 'could not store the NATS request; answered with an error'
            : 'could not store the NATS message; core NATS cannot redeliver it, so it is LOST (use JetStream)',
        );
      },
    });
    if (m.reply) m.respond(JSON.stringify(outcome === 'ack' ? { ids } : answer));
  }
}

function headersOf(h: JsMsg['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const k of h.keys()) out[k] = h.get(k);
  return out;
}
