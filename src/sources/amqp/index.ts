import {
  Bytes,
  compileMapping,
  Duration,
  defineSource,
  EventMappingSchema,
  type ListenerConnection,
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
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';

const config = Type.Object(
  {
    url: Secret({ description: 'amqp://user:password@host:5672/vhost or amqps://…; a secret because it carries the password' }),
    queue: Type.String({ minLength: 1, maxLength: 255, description: 'queue to consume; declared durable if missing' }),
    bindings: Type.Optional(
      Type.Array(
        Type.Object(
          {
            exchange: Type.String({ minLength: 1, description: 'an existing exchange' }),
            routing_key: Type.String({ default: '', description: 'binding key (empty, e.g. for fanout)' }),
          },
          { additionalProperties: false },
        ),
        { description: 'bindings of the queue to exchanges, declared at every connect' },
      ),
    ),
    dead_letter_exchange: Type.Optional(
      Type.String({ minLength: 1, description: 'x-dead-letter-exchange argument when Herald declares the queue: where refused messages go' }),
    ),
    prefetch: Type.Integer({ minimum: 1, maximum: 65535, default: 32, description: 'unacknowledged messages in flight at once' }),
    mapping: Type.Optional(EventMappingSchema),
    max_message_size: Bytes({ default: '1MiB', description: 'larger messages are refused (dead-lettered)' }),
    retry_delay: Duration({ default: '5s', description: 'wait before handing a message back to the queue when the store is unavailable' }),
    reconnect_max: Duration({
      default: '30s',
      description: 'longest wait between reconnect attempts (backoff with full jitter, the ceiling doubling from 1 s)',
    }),
    heartbeat: Type.Integer({ minimum: 0, maximum: 600, default: 30, description: 'AMQP heartbeat in seconds (0 turns it off)' }),
  },
  { additionalProperties: false },
);
type Config = Static<typeof config>;

/** The broker address in an amqp(s) URL, with the credentials and vhost split out. */
export function parseAmqpUrl(text: string) {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error('url is not a valid URL (use amqp://user:password@host:5672/vhost)');
  }
  if (u.protocol !== 'amqp:' && u.protocol !== 'amqps:') throw new Error(`url must start with amqp:// or amqps://, not ${u.protocol}//`);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error('url has no host');
  const tls = u.protocol === 'amqps:';
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  return {
    tls,
    host,
    port: u.port ? Number(u.port) : tls ? 5671 : 5672,
    username: u.username ? decodeURIComponent(u.username) : 'guest',
    password: u.password ? decodeURIComponent(u.password) : u.username ? '' : 'guest',
    vhost,
  };
}

/**
 * An AMQP 0-9-1 queue consumer (RabbitMQ). Each message becomes events; it is
 * acked only after they are committed, nacked with requeue (after
 * `retry_delay`) when the store is unavailable, and nacked without requeue
 * (dead-lettered if the queue has a DLX) when it can never be stored.
 */
export default defineSource({
  type: 'amqp',
  version: '1.0.0',
  displayName: 'AMQP queue (RabbitMQ)',
  docsUrl: 'https://www.rabbitmq.com/docs/confirms',
  config,
  validate(c: Config) {
    try {
      parseAmqpUrl(c.url);
    } catch (err) {
      return [{ path: 'url', message: (err as Error).message }];
    }
    return [];
  },
  create(c, ctx) {
    return new AmqpListener(c, ctx);
  },
});

class AmqpListener extends ReconnectingListener {
  private readonly map;
  private readonly maxBytes: number;
  private readonly retryMs: number;

  constructor(
    private readonly c: Config,
    private readonly ctx: SourceContext,
  ) {
    const u = parseAmqpUrl(c.url);
    super({
      clock: ctx.clock,
      log: ctx.log,
      reconnect: { initialMs: 1000, maxMs: parseDuration(c.reconnect_max) },
      where: `${u.tls ? 'amqps' : 'amqp'}://${u.host}:${u.port}`,
    });
    this.map = c.mapping ? compileMapping(c.mapping, ctx.templates, 'mapping') : undefined;
    this.maxBytes = parseBytes(c.max_message_size);
    this.retryMs = parseDuration(c.retry_delay);
  }

  protected override onRetry(info: RetryInfo): void {
    if (info.wasConnected) this.ctx.log.warn({ reason: info.reason, retry_in_ms: info.delayMs }, 'AMQP connection closed; reconnecting');
    else this.ctx.log.error({ err: info.reason, attempt: info.attempt, retry_in_ms: info.delayMs }, 'cannot consume from the AMQP broker; retrying');
  }

  /** Opens one connection and starts consuming; `closed` resolves when it ends. */
  protected override async connect(signal: AbortSignal): Promise<ListenerConnection> {
    const u = parseAmqpUrl(this.c.url);
    // Resolve and check the broker address through Herald's SSRF guard, then connect to exactly that address.
    const probe = await this.ctx.net.connect({ host: u.host, port: u.port, signal, timeoutMs: 10_000 });
    const address = probe.remoteAddress;
    probe.destroy();
    if (!address) throw new Error(`no address for ${u.host}:${u.port}`);
    const { connect } = await import('amqplib');
    const model: ChannelModel = await connect(
      {
        protocol: u.tls ? 'amqps' : 'amqp',
        hostname: address,
        port: u.port,
        username: u.username,
        password: u.password,
        vhost: u.vhost,
        heartbeat: this.c.heartbeat,
      },
      { timeout: 10_000, servername: u.tls ? u.host : undefined, clientProperties: { connection_name: `herald:${this.ctx.name}` } },
    );
    const closed = new Promise<string | undefined>((resolve) => {
      model.on('close', (err?: Error) => resolve(err?.message));
      model.on('error', (err: Error) => this.ctx.log.warn({ err: err.message }, 'AMQP connection error'));
    });
    try {
      const ch = await model.createChannel();
      ch.on('error', (err: Error) => this.ctx.log.error({ err: err.message }, 'AMQP channel error'));
      // A channel closed by the broker (e.g. queue deleted, precondition failed) ends this connection so we start over.
      ch.on('close', () => {
        if (!this.stopped) void model.close().catch(() => {});
      });
      await ch.prefetch(this.c.prefetch);
      await ch.assertQueue(this.c.queue, {
        durable: true,
        arguments: this.c.dead_letter_exchange ? { 'x-dead-letter-exchange': this.c.dead_letter_exchange } : undefined,
      });
      for (const b of this.c.bindings ?? []) await ch.bindQueue(this.c.queue, b.exchange, b.routing_key);
      await ch.consume(this.c.queue, (msg) => this.onMessage(ch, msg), { noAck: false });
    } catch (err) {
      await model.close().catch(() => {});
      throw err;
    }
    this.ctx.log.info({ queue: this.c.queue, broker: `${u.host}:${u.port}` }, 'consuming AMQP queue');
    // Closing the connection hands every unacknowledged message back to the queue.
    return { closed, close: () => model.close() };
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      this.ctx.log.warn({ queue: this.c.queue }, 'the broker cancelled the consumer (queue deleted?); reconnecting');
      void ch.close().catch(() => {});
      return;
    }
    void this.handle(ch, msg);
  }

  private async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const p = msg.properties;
    const outcome = await processMessage(msg.content, {
      maxBytes: this.maxBytes,
      map: this.map,
      vars: {
        exchange: msg.fields.exchange,
        routing_key: msg.fields.routingKey,
        headers: p.headers ?? {},
        properties: { message_id: p.messageId, type: p.type, app_id: p.appId, content_type: p.contentType, timestamp: p.timestamp },
        source: this.ctx.name,
      },
      deliveryId: typeof p.messageId === 'string' && p.messageId !== '' ? p.messageId : undefined,
      emit: (events, options) => this.ctx.emit(events, options),
      rejected: (reason, detail) => {
        this.ctx.rejected(
          reason,
          `AMQP message ${describe(msg)} refused (${this.c.dead_letter_exchange ? 'dead-lettered' : 'nacked without requeue'}): ${detail}`,
        );
      },
      onRetry: (err) =>
        this.ctx.log.warn(
          { err: err.message, message: describe(msg), retry_in_ms: this.retryMs },
          'could not store the AMQP message; it stays unacknowledged and goes back to the queue',
        ),
    });
    if (outcome === 'retry') {
      try {
        await this.ctx.clock.sleep(this.retryMs, this.signal);
      } catch {
        return; // stopping: closing the connection requeues it
      }
    }
    try {
      if (outcome === 'ack') ch.ack(msg);
      else ch.nack(msg, false, outcome === 'retry');
    } catch (err) {
      // The channel closed meanwhile: the broker requeues the message and redelivers it (deliveryId keeps a commit single).
      this.ctx.log.warn({ err: (err as Error).message, message: describe(msg), outcome }, 'could not settle the AMQP message; the broker will redeliver it');
    }
  }
}

function describe(msg: ConsumeMessage): string {
  const id = msg.properties.messageId ? ` id=${msg.properties.messageId}` : '';
  return `delivery ${msg.fields.deliveryTag} from exchange "${msg.fields.exchange}" key "${msg.fields.routingKey}"${id}${msg.fields.redelivered ? ' (redelivered)' : ''}`;
}
