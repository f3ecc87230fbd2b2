import { Bytes, compileMapping, Duration, defineSource, EventMappingSchema, parseBytes, parseDuration, Secret, type Static, Type } from '@herald/sdk';
import { WebSocketStream } from './stream.js';

const RESERVED_HEADERS = new Set([
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-accept',
  'content-length',
  'transfer-encoding',
]);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const config = Type.Object(
  {
    url: Type.String({
      pattern: '^[Ww][Ss][Ss]?://\\S+$',
      secret: true,
      description: 'ws:// or wss:// URL of the stream; treated as a secret because streams often carry a token in the query',
    }),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        secret: true,
        description: 'extra handshake headers, e.g. Authorization: Basic …; every value is a secret; Host, Upgrade, Connection and Sec-WebSocket-* are refused',
      }),
    ),
    token: Type.Optional(Secret({ description: 'sent as `Authorization: Bearer <token>` on every handshake; not together with an Authorization header' })),
    subscribe: Type.Optional(
      Type.Union([Type.String({ minLength: 1 }), Type.Record(Type.String(), Type.Unknown())], {
        description: 'message sent after every (re)connect: a string as is, an object as JSON',
      }),
    ),
    mapping: Type.Optional(EventMappingSchema),
    ping_interval: Duration({ default: '30s', description: 'a ping is sent this often; no pong before the next one cuts the connection' }),
    down_after: Duration({ default: '30s', description: 'grace before a broken connection raises the source-down:<name> event' }),
    reconnect: Type.Object(
      {
        initial: Duration({ default: '1s', description: 'ceiling of the first retry delay' }),
        max: Duration({ default: '60s', description: 'largest retry delay' }),
        factor: Type.Number({ minimum: 1, maximum: 10, default: 2, description: 'growth of the ceiling per failed attempt' }),
        reset_after: Duration({ default: '30s', description: 'a connection up this long resets the backoff' }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'exponential backoff with full jitter between connection attempts',
      },
    ),
    connect_timeout: Duration({ default: '10s', description: 'TCP connect plus WebSocket handshake' }),
    max_message: Bytes({ default: '1MiB', description: 'largest accepted message; a bigger one closes the connection (code 1009)' }),
    buffer: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1000,
      description: 'messages kept in memory while the store is unavailable; reading pauses when this many wait',
    }),
    ca: Type.Optional(Type.String({ minLength: 1, description: 'extra CA certificate (PEM) trusted for wss://' })),
  },
  { additionalProperties: false },
);

export type WebSocketSourceConfig = Static<typeof config>;

/** Backoff settings in milliseconds (the loader has filled in the schema's defaults). */
function reconnectPolicy(c: WebSocketSourceConfig) {
  const r = c.reconnect;
  return {
    initialMs: parseDuration(r.initial),
    maxMs: parseDuration(r.max),
    factor: r.factor,
    resetAfterMs: parseDuration(r.reset_after),
  };
}

/** The handshake headers: `headers` plus the bearer token. */
function handshakeHeaders(c: WebSocketSourceConfig): Record<string, string> {
  const out: Record<string, string> = { ...(c.headers ?? {}) };
  if (c.token) out.Authorization = `Bearer ${c.token}`;
  return out;
}

/**
 * A stream client: holds a WebSocket open to `url` and turns each JSON
 * message into events, reconnecting with backoff and reporting its own
 * outages as `source-down:<name>` events.
 */
export default defineSource({
  type: 'websocket',
  version: '1.0.0',
  displayName: 'WebSocket stream',
  docsUrl: 'https://www.rfc-editor.org/rfc/rfc6455',
  config,
  validate(c: WebSocketSourceConfig) {
    const issues: { path: string; message: string }[] = [];
    let url: URL | undefined;
    try {
      url = new URL(c.url);
    } catch {
      issues.push({ path: 'url', message: 'not a valid URL' });
    }
    if (url) {
      if (url.protocol !== 'ws:' && url.protocol !== 'wss:') issues.push({ path: 'url', message: 'must start with ws:// or wss://' });
      if (url.hostname === '') issues.push({ path: 'url', message: 'has no host' });
      if (url.hash) issues.push({ path: 'url', message: 'must not have a #fragment' });
      if (c.ca && url.protocol !== 'wss:') issues.push({ path: 'ca', message: 'only used with wss://' });
    }
    for (const [name, value] of Object.entries(c.headers ?? {})) {
      if (!HEADER_NAME.test(name)) issues.push({ path: `headers.${name}`, message: 'not a valid header name' });
      else if (RESERVED_HEADERS.has(name.toLowerCase())) issues.push({ path: `headers.${name}`, message: 'set by the WebSocket handshake itself' });
      else if (c.token && name.toLowerCase() === 'authorization')
        issues.push({ path: `headers.${name}`, message: 'give either token or an Authorization header' });
      if (/[\r\n\0]/.test(value)) issues.push({ path: `headers.${name}`, message: 'must not contain line breaks' });
    }
    const r = reconnectPolicy(c);
    if (r.initialMs < 1) issues.push({ path: 'reconnect.initial', message: 'must be at least 1ms' });
    if (r.maxMs < r.initialMs) issues.push({ path: 'reconnect.max', message: 'must not be below reconnect.initial' });
    if (parseDuration(c.ping_interval) < 100) issues.push({ path: 'ping_interval', message: 'must be at least 100ms' });
    if (parseDuration(c.connect_timeout) < 100) issues.push({ path: 'connect_timeout', message: 'must be at least 100ms' });
    return issues;
  },
  create(c, ctx) {
    const mapping = c.mapping ? compileMapping(c.mapping, ctx.templates, 'mapping') : undefined;
    return new WebSocketStream(
      {
        url: new URL(c.url),
        headers: handshakeHeaders(c),
        subscribe: c.subscribe === undefined ? undefined : typeof c.subscribe === 'string' ? c.subscribe : JSON.stringify(c.subscribe),
        pingMs: parseDuration(c.ping_interval),
        reconnect: reconnectPolicy(c),
        downAfterMs: parseDuration(c.down_after),
        connectTimeoutMs: parseDuration(c.connect_timeout),
        maxMessageBytes: parseBytes(c.max_message),
        buffer: c.buffer,
        ca: c.ca,
        mapping,
      },
      ctx,
    );
  },
});
