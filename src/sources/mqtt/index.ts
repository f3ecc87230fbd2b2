import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
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
// Loaded when the source starts: the library is heavy and most Herald processes (the CLI) never need it.
import type { IPublishPacket, MqttClient, Store } from 'mqtt';

const config = Type.Object(
  {
    url: Type.String({ pattern: '^mqtts?://', description: '`mqtt://host:1883` or `mqtts://host:8883`; no credentials in it (use username/password)' }),
    topics: Type.Array(Type.String({ minLength: 1, description: 'topic filter; + and # wildcards' }), {
      minItems: 1,
      description: 'topic filters (`+`, `#` wildcards)',
    }),
    qos: Type.Union([Type.Literal(0), Type.Literal(1), Type.Literal(2)], { default: 1, description: 'subscription QoS; 0 means no redelivery' }),
    client_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'MQTT client id (default: herald-<source name>); must be unique per broker' }),
    ),
    clean: Type.Boolean({ default: false, description: 'start a fresh session; false keeps unacknowledged messages across reconnects' }),
    session_expiry: Duration({ default: '1d', description: 'how long the broker keeps the session (and queued messages) while Herald is away' }),
    username: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Secret()),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA certificate to trust for mqtts://' })),
    id_property: Type.Optional(
      Type.String({ minLength: 1, description: 'MQTT 5 user property carrying a unique message id, used to store a redelivery once' }),
    ),
    mapping: Type.Optional(EventMappingSchema),
    max_message_size: Bytes({ default: '1MiB', description: 'larger messages are refused' }),
    retry_delay: Duration({ default: '5s', description: 'wait before reconnecting for a redelivery when the store is unavailable' }),
  },
  { additionalProperties: false },
);
type Config = Static<typeof config>;

/** PUBACK reason code "Payload format invalid": the message is settled (not redelivered) and refused. */
const REFUSED = 153;

export function parseMqttUrl(text: string): { host: string; port: number; tls: boolean } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error('url is not a valid URL (use mqtt://host:1883)');
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') throw new Error(`url must start with mqtt:// or mqtts://, not ${u.protocol}//`);
  if (u.username || u.password) throw new Error('give credentials as username/password, not in the url');
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new Error('url has no host');
  const tls = u.protocol === 'mqtts:';
  return { host, port: u.port ? Number(u.port) : tls ? 8883 : 1883, tls };
}

/**
 * MQTT 5 subscriber. QoS 1/2 messages are acknowledged (PUBACK/PUBREC) only
 * once their events are committed; when the store is unavailable the message
 * stays unacknowledged and the client reconnects after `retry_delay`, so the
 * broker redelivers it from the persistent session.
 */
export default defineSource({
  type: 'mqtt',
  version: '1.0.0',
  displayName: 'MQTT subscriber',
  docsUrl: 'https://docs.oasis-open.org/mqtt/mqtt/v5.0/mqtt-v5.0.html',
  config,
  validate(c: Config) {
    const issues: { path: string; message: string }[] = [];
    try {
      parseMqttUrl(c.url);
    } catch (err) {
      issues.push({ path: 'url', message: (err as Error).message });
    }
    if (c.password && !c.username) issues.push({ path: 'password', message: 'password needs username' });
    if (c.ca && !c.url.startsWith('mqtts:')) issues.push({ path: 'ca', message: 'ca only applies to mqtts:// urls' });
    return issues;
  },
  create(c, ctx) {
    return new MqttListener(c, ctx);
  },
});

class MqttListener extends ReconnectingListener {
  private readonly map;
  private readonly maxBytes: number;
  private readonly retryMs: number;
  private readonly broker: { host: string; port: number; tls: boolean };
  /** Kept across connections, as the session is: QoS 2 handshakes in progress survive a reconnect. */
  private stores: { incomingStore: Store; outgoingStore: Store } | undefined;

  constructor(
    private readonly c: Config,
    private readonly ctx: SourceContext,
  ) {
    const broker = parseMqttUrl(c.url);
    super({
      clock: ctx.clock,
      log: ctx.log,
      reconnect: { initialMs: 1000, maxMs: 30_000 },
      where: `${broker.tls ? 'mqtts' : 'mqtt'}://${broker.host}:${broker.port}`,
    });
    this.broker = broker;
    this.map = c.mapping ? compileMapping(c.mapping, ctx.templates, 'mapping') : undefined;
    this.maxBytes = parseBytes(c.max_message_size);
    this.retryMs = parseDuration(c.retry_delay);
  }

  protected override onRetry(info: RetryInfo): void {
    if (info.wasConnected) this.ctx.log.warn({ reason: info.reason, retry_in_ms: info.delayMs }, 'MQTT connection lost; reconnecting');
    else this.ctx.log.error({ err: info.reason, attempt: info.attempt, retry_in_ms: info.delayMs }, 'cannot connect to the MQTT broker; retrying');
  }

  /**
   * One MQTT connection: resolves once subscribed (a message published before
   * the SUBACK may miss a new session). mqtt.js does not reconnect by itself
   * (reconnectPeriod 0): the base does, with backoff(), so every transport
   * goes through the SSRF guard again.
   */
  protected override async connect(signal: AbortSignal): Promise<ListenerConnection> {
    const { host, port, tls } = this.broker;
    const { MqttClient, Store } = await import('mqtt');
    this.stores ??= { incomingStore: new Store(), outgoingStore: new Store() };
    let lastError: string | undefined;
    const client: MqttClient = new MqttClient(() => this.openStream(host, port, tls, signal, (err) => (lastError = err.message)), {
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: this.c.client_id ?? `herald-${this.ctx.name}`,
      clean: this.c.clean,
      username: this.c.username,
      password: this.c.password,
      keepalive: 30,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      resubscribe: false,
      ...this.stores,
      properties: { sessionExpiryInterval: Math.round(parseDuration(this.c.session_expiry) / 1000) },
      customHandleAcks: (_topic: string, message: Buffer, packet: IPublishPacket, done: (err: Error | number, code?: number) => void) => {
        void this.onPublish(client, message, packet, done);
      },
    });
    client.on('message', (_topic, message, packet) => {
      if (packet.qos === 0) void this.onPublish(client, message, packet, () => {});
    });
    client.on('error', (err) => {
      lastError = err.message;
      this.ctx.log.error({ err: err.message }, 'MQTT client error');
    });
    const closed = new Promise<string | undefined>((resolve) => client.once('close', () => resolve(lastError)));
    // A forced end sends no further acks: messages in progress stay in the session for redelivery.
    const close = () => client.endAsync(true);
    await new Promise<void>((resolve, reject) => {
      const failed = () => reject(new Error(lastError ?? 'connection closed before the broker answered'));
      client.once('close', failed);
      client.once('connect', (connack) => {
        this.ctx.log.info({ broker: `${host}:${port}`, session_present: connack.sessionPresent, topics: this.c.topics }, 'connected to the MQTT broker');
        // rh 1: retained messages only for a new subscription, not on every reconnect.
        client.subscribe(this.c.topics, { qos: this.c.qos, rh: 1 }, (err, granted) => {
          client.off('close', failed);
          resolve();
          if (err) return this.ctx.log.error({ err: err.message }, 'MQTT subscribe failed');
          for (const g of granted ?? []) {
            if (g.qos > 2) this.ctx.log.error({ topic: g.topic, reason_code: g.qos }, 'the MQTT broker refused the subscription');
          }
        });
      });
    });
    return { closed, close };
  }

  /** The transport for each (re)connect: a socket to an address checked by Herald's SSRF guard, TLS on top for mqtts. */
  private openStream(host: string, port: number, tls: boolean, signal: AbortSignal, failed: (err: Error) => void): Duplex {
    return lazyStream(async () => {
      const socket = await this.ctx.net.connect({ host, port, signal, timeoutMs: 10_000 });
      if (!tls) return socket;
      return tlsConnect({ socket, servername: host, ca: this.c.ca, ALPNProtocols: ['mqtt'] });
    }, failed);
  }

  private async onPublish(client: MqttClient, message: Buffer, packet: IPublishPacket, done: (err: Error | number, code?: number) => void): Promise<void> {
    const stream = client.stream;
    const props = packet.properties?.userProperties ?? {};
    const idProp = this.c.id_property ? props[this.c.id_property] : undefined;
    const deliveryId = Array.isArray(idProp) ? idProp[0] : idProp;
    const what = `topic ${packet.topic}${packet.dup ? ' (redelivered)' : ''}`;
    const outcome: MessageOutcome = await processMessage(message, {
      maxBytes: this.maxBytes,
      map: this.map,
      vars: { topic: packet.topic, topic_levels: packet.topic.split('/'), properties: props, source: this.ctx.name, retain: packet.retain },
      deliveryId: deliveryId || undefined,
      emit: (events, options) => this.ctx.emit(events, options),
      rejected: (reason, detail) =>
        this.ctx.rejected(reason, `MQTT message on ${what} refused${packet.qos > 0 ? ` (acknowledged with reason code ${REFUSED})` : ''}: ${detail}`),
      onRetry: (err) =>
        packet.qos === 0
          ? this.ctx.log.error(
              { err: err.message, topic: packet.topic },
              'could not store a QoS 0 MQTT message; MQTT cannot redeliver it, so it is LOST (use qos 1)',
            )
          : this.ctx.log.warn(
              { err: err.message, topic: packet.topic, reconnect_in_ms: this.retryMs },
              'could not store the MQTT message; it stays unacknowledged and the broker redelivers it after a reconnect',
            ),
    });
    if (packet.qos === 0) return;
    if (outcome === 'retry') {
      // No PUBACK. MQTT redelivers unacknowledged messages only on a new connection of the same session.
      try {
        await this.ctx.clock.sleep(this.retryMs, this.signal);
      } catch {
        return;
      }
      if (client.stream === stream && client.connected && !this.stopped) stream.destroy();
      return;
    }
    // The connection ended meanwhile: the broker redelivers the message on the next one (id_property keeps it single).
    if (client.stream !== stream || !client.connected || this.stopped) return;
    done(outcome === 'ack' ? 0 : REFUSED);
  }
}

/**
 * A Duplex usable at once by mqtt.js (which wants its stream synchronously)
 * that carries the bytes of a socket opened asynchronously.
 */
function lazyStream(open: () => Promise<Duplex>, onError: (err: Error) => void): Duplex {
  let sock: Duplex | undefined;
  const pending: [Buffer, BufferEncoding, (err?: Error | null) => void][] = [];
  const d = new Duplex({
    write(chunk: Buffer, enc, cb) {
      if (sock) sock.write(chunk, enc, cb);
      else pending.push([chunk, enc, cb]);
    },
    read() {
      sock?.resume();
    },
    final(cb) {
      if (sock) sock.end(cb);
      else cb();
    },
    destroy(err, cb) {
      sock?.destroy();
      cb(err);
    },
  });
  open().then(
    (s) => {
      if (d.destroyed) {
        s.destroy();
        return;
      }
      sock = s;
      s.on('data', (c: Buffer) => {
        if (!d.push(c)) s.pause();
      });
      s.on('end', () => d.push(null));
      s.on('error', (err: Error) => {
        onError(err);
        d.destroy();
      });
      s.on('close', () => d.destroy());
      for (const [c, e, cb] of pending.splice(0)) s.write(c, e, cb);
    },
    (err: Error) => {
      onError(err);
      d.destroy();
    },
  );
  return d;
}
