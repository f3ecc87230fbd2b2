import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import {
  type BackoffPolicy,
  backoff,
  type EventInput,
  type ListenerConnection,
  ReconnectingListener,
  type ReconnectPolicy,
  type RetryInfo,
  type SourceContext,
  SourceRejection,
} from '@herald/sdk';
// Loaded on first connect, so processes that never stream (the CLI) do not pay for it.
import type WebSocket from 'ws';
import { formatMs, type MessageMapping, normalizeMessage, sourceDownEvent, sourceUpEvent } from './normalize.js';

export interface StreamOptions {
  url: URL;
  headers: Record<string, string>;
  /** Sent after every (re)connect, as is. */
  subscribe?: string;
  pingMs: number;
  reconnect: ReconnectPolicy;
  downAfterMs: number;
  connectTimeoutMs: number;
  maxMessageBytes: number;
  /** Messages held in memory while they cannot be stored; reading pauses when full. */
  buffer: number;
  /** Extra trusted CA (PEM) for wss://. */
  ca?: string;
  mapping?: MessageMapping;
  random?: () => number;
}

/** How storing one message is retried while the store is unavailable. */
const STORE_RETRY: BackoffPolicy = { initialMs: 200, maxMs: 30_000, factor: 2 };

type Item = { kind: 'message'; text: string; seq: number } | { kind: 'status'; event: EventInput };

/**
 * A WebSocket client that keeps one stream open and turns its messages into
 * events. Every TCP connection goes through Herald's SSRF guard
 * (`ctx.net.connect`); `ws` only speaks the protocol over the checked socket.
 *
 * Messages are stored one at a time, in arrival order. A stream has no acks,
 * so a message that cannot be stored (store unavailable) stays in memory and
 * is retried with backoff; while `buffer` messages wait, reading pauses (TCP
 * back-pressure). Messages still waiting when Herald stops are lost.
 */
/** Durable state key: when the announced outage began (ms). */
const DOWN_SINCE = 'down_since';

/** `ws://host:port` of the stream, without path and query (they may carry a token). */
function whereOf(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

export class WebSocketStream extends ReconnectingListener {
  private readonly host: string;
  private readonly port: number;
  private readonly where: string;
  private readonly random: () => number;
  private ws?: WebSocket;
  private connected = false;
  private downSinceMs?: number;
  private downReason = 'not connected yet';
  private downFired = false;
  private attemptsWhileDown = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private downTimer?: NodeJS.Timeout;
  private readonly queue: Item[] = [];
  private draining = false;
  private drained: Promise<void> = Promise.resolve();
  private seq = 0;

  constructor(
    private readonly o: StreamOptions,
    private readonly ctx: SourceContext,
  ) {
    // Connecting happens in the background: a stream that is down at start
    // must not keep Herald from starting; it is reported by source-down instead.
    super({ clock: ctx.clock, log: ctx.log, reconnect: o.reconnect, where: whereOf(o.url), awaitFirstAttempt: false, random: o.random });
    this.host = o.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = o.url.port ? Number(o.url.port) : o.url.protocol === 'wss:' ? 443 : 80;
    this.where = whereOf(o.url);
    this.random = o.random ?? Math.random;
  }

  protected override async prepare(): Promise<void> {
    // An outage announced before a restart is still owed its resolved event.
    const since = Number(await this.ctx.state.get(DOWN_SINCE).catch(() => undefined));
    if (Number.isFinite(since) && since > 0) {
      this.downSinceMs = since;
      this.downFired = true;
      this.disconnectedSince(since);
    }
    this.markDown('not connected yet');
  }

  protected override async afterStop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.drained;
    if (this.queue.length > 0) {
      this.ctx.log.warn({ dropped: this.queue.length }, 'stream stopped with messages not yet stored; they are lost');
      this.queue.length = 0;
    }
  }

  protected override onRetry(info: RetryInfo): void {
    this.markDown(info.reason);
    this.ctx.log.warn(
      { reason: info.reason, attempt: info.attempt, cap_ms: info.capMs, retry_in_ms: info.delayMs, was_connected: info.wasConnected },
      info.wasConnected ? 'stream disconnected; reconnecting' : 'stream connection failed; retrying',
    );
  }

  /** One connection: TCP connect through the guard, then the WebSocket handshake; resolves once it is open. */
  protected override async connect(signal: AbortSignal): Promise<ListenerConnection> {
    this.attemptsWhileDown++;
    let socket: Socket;
    // Stopping aborts the TCP connect in progress, not the socket once it is up: that one is closed with a close frame.
    const connecting = new AbortController();
    const abortConnect = () => connecting.abort();
    signal.addEventListener('abort', abortConnect, { once: true });
    try {
      socket = await this.ctx.net.connect({ host: this.host, port: this.port, timeoutMs: this.o.connectTimeoutMs, signal: connecting.signal });
    } catch (err) {
      const e = err as Error & { reason?: string };
      // The SSRF guard refuses before any packet is sent; say so loudly, it is a config problem.
      if (e.reason === 'blocked') this.ctx.log.error({ err: e.message }, 'stream connection refused by the outbound policy');
      throw err;
    } finally {
      signal.removeEventListener('abort', abortConnect);
    }
    if (signal.aborted) {
      socket.destroy();
      throw new Error('stopped');
    }
    const { default: WebSocketClient } = await import('ws');
    const stream =
      this.o.url.protocol === 'wss:'
        ? // host: the name the certificate is checked against (SNI only for names, not IPs).
          tlsConnect({ socket, host: this.host, servername: isIP(this.host) ? undefined : this.host, ca: this.o.ca, ALPNProtocols: ['http/1.1'] })
        : socket;
    let ws: WebSocket;
    try {
      ws = new WebSocketClient(this.o.url, {
        headers: this.o.headers,
        createConnection: (() => stream) as never,
        handshakeTimeout: this.o.connectTimeoutMs,
        maxPayload: this.o.maxMessageBytes,
        followRedirects: false,
        perMessageDeflate: false,
      });
    } catch (err) {
      stream.destroy();
      throw err;
    }
    this.ws = ws;
    return new Promise((resolve, reject) => {
      let reason: string | undefined;
      let opened = false;
      let alive = true;
      let ended!: (reason: string) => void;
      const closed = new Promise<string>((r) => {
        ended = r;
      });
      // Stopping during the handshake: cut it (an open connection is closed with a close frame instead).
      const cut = () => {
        if (!opened) ws.terminate();
      };
      signal.addEventListener('abort', cut, { once: true });
      const local = new Set<NodeJS.Timeout>();
      const every = (ms: number, fn: () => void) => {
        const t = setInterval(fn, ms);
        local.add(t);
        this.timers.add(t);
      };
      ws.on('open', () => {
        opened = true;
        if (this.o.subscribe !== undefined) ws.send(this.o.subscribe);
        // Liveness: a ping every interval; no pong by the next one means the
        // connection is dead (half-open TCP, hung proxy): cut it and reconnect.
        every(this.o.pingMs, () => {
          if (ws.isPaused) return; // we stopped reading ourselves; the pong is in the unread buffer
          if (!alive) {
            reason = `no pong within ${formatMs(this.o.pingMs)}`;
            ws.terminate();
            return;
          }
          alive = false;
          ws.ping();
        });
        resolve({ closed, close: () => this.closeGracefully(ws, closed) });
      });
      ws.on('pong', () => {
        alive = true;
      });
      ws.on('message', (data: WebSocket.RawData) => {
        const text = (Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
        this.enqueue({ kind: 'message', text, seq: ++this.seq });
        if (this.queue.length >= this.o.buffer && !ws.isPaused) {
          this.ctx.log.warn({ waiting: this.queue.length }, 'stream paused: messages cannot be stored fast enough');
          ws.pause();
        }
      });
      ws.on('error', (err: Error & { code?: string }) => {
        // ws closes the connection (1009) on a message above max_message: that message is lost.
        if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
          this.ctx.rejected('payload_too_large', `a message exceeded max_message (${this.o.maxMessageBytes} bytes)`);
        reason ??= err.message;
      });
      ws.on('close', (code, why) => {
        signal.removeEventListener('abort', cut);
        for (const t of local) {
          clearInterval(t);
          this.timers.delete(t);
        }
        if (this.ws === ws) this.ws = undefined;
        this.connected = false;
        const text = why.toString('utf8');
        const because = reason ?? `connection closed (code ${code}${text ? `: ${text}` : ''})`;
        if (opened) ended(because);
        else reject(new Error(because));
      });
    });
  }

  /** A close frame, a moment for the server to answer it, then the socket is cut. */
  private async closeGracefully(ws: WebSocket, closed: Promise<string>): Promise<void> {
    // 1 = OPEN (WebSocket.OPEN; the class itself is loaded lazily).
    if (ws.readyState === 1) {
      ws.close(1000, 'herald stopping');
      await Promise.race([closed, new Promise<void>((r) => this.timer(() => r(), 1000))]);
    }
    ws.terminate();
  }

  protected override onConnected(): void {
    const now = this.ctx.clock.now();
    this.connected = true;
    this.ctx.log.info({ host: this.host, port: this.port, attempts: this.attemptsWhileDown }, 'stream connected');
    if (this.downTimer) {
      clearTimeout(this.downTimer);
      this.timers.delete(this.downTimer);
      this.downTimer = undefined;
    }
    if (this.downFired && this.downSinceMs !== undefined) {
      this.enqueue({ kind: 'status', event: sourceUpEvent(this.ctx.name, this.where, this.downSinceMs, now) });
    }
    this.downFired = false;
    this.downSinceMs = undefined;
    this.attemptsWhileDown = 0;
  }

  /** Notes that the stream is down; after down_after without a connection, fires once. */
  private markDown(reason: string): void {
    this.connected = false;
    this.downReason = reason;
    if (this.downSinceMs !== undefined) return; // same outage: keep its start and timer
    this.downSinceMs = this.ctx.clock.now();
    this.downTimer = this.timer(() => {
      this.downTimer = undefined;
      if (this.stopped || this.connected || this.downFired || this.downSinceMs === undefined) return;
      this.downFired = true;
      this.ctx.log.error({ reason: this.downReason, down_for_ms: this.ctx.clock.now() - this.downSinceMs }, 'stream is down');
      this.enqueue({
        kind: 'status',
        event: sourceDownEvent(this.ctx.name, this.downReason, this.where, this.downSinceMs, this.attemptsWhileDown),
      });
    }, this.o.downAfterMs);
  }

  private enqueue(item: Item): void {
    this.queue.push(item);
    if (!this.draining) this.drained = this.drain();
  }

  /** Stores queued items strictly in order, one at a time. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.stopped) {
        await this.process(this.queue[0] as Item);
        if (this.stopped) break;
        this.queue.shift();
        const ws = this.ws;
        if (ws?.isPaused && this.queue.length <= this.o.buffer / 2) {
          this.ctx.log.info({ waiting: this.queue.length }, 'stream resumed');
          ws.resume();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async process(item: Item): Promise<void> {
    let events: EventInput[];
    if (item.kind === 'status') events = [item.event];
    else {
      try {
        events = normalizeMessage(item.text, this.o.mapping, this.ctx.name);
      } catch (err) {
        this.refuse(err, item.seq);
        return;
      }
      if (events.length === 0) {
        this.ctx.log.debug({ message: item.seq }, 'message filtered out by the mapping');
        return;
      }
    }
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        // An outage notice is Herald's own: the source's enrichment (a lookup of what the sender sent) must not run on it.
        await this.ctx.emit(events, item.kind === 'status' ? { origin: 'herald' } : undefined);
        if (item.kind === 'status') await this.remember(item.event);
        return;
      } catch (err) {
        if (err instanceof SourceRejection) {
          this.refuse(err, item.kind === 'message' ? item.seq : undefined);
          return;
        }
        const delay = backoff(attempt, STORE_RETRY, this.random) + 50;
        this.ctx.log.warn(
          { err: (err as Error).message, attempt: attempt + 1, retry_in_ms: delay, waiting: this.queue.length },
          'could not store a stream message; keeping it and retrying',
        );
        await this.sleep(delay);
      }
    }
  }

  /** Keeps an announced outage in the source's durable state until its end is announced. */
  private async remember(event: EventInput): Promise<void> {
    try {
      if (event.status === 'firing') await this.ctx.state.set(DOWN_SINCE, String(this.downSinceMs ?? this.ctx.clock.now()));
      else await this.ctx.state.delete(DOWN_SINCE);
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'could not record the stream outage state');
    }
  }

  private refuse(err: unknown, seq: number | undefined): void {
    if (err instanceof SourceRejection) this.ctx.rejected(err.code, `message ${seq ?? '(status)'}: ${err.message}`);
    else this.ctx.rejected('invalid_payload', `message ${seq ?? '(status)'}: mapping failed: ${(err as Error).message}`);
  }

  private timer(fn: () => void, ms: number): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }

  /** Waits `ms`, or less if the source stops. */
  private sleep(ms: number): Promise<void> {
    return this.ctx.clock.sleep(ms, this.signal).catch(() => undefined);
  }
}
