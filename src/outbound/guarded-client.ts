import { lookup as dnsLookup } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import { DeliveryError, type HttpClient, type HttpRequest, type HttpResponse } from '@herald/sdk';
import { Agent, buildConnector, request } from 'undici';
import { checkPeer, RefusedError, resolveAllowed } from './destination.js';
import { checkAddress, type ParsedCidr, parseAllowList } from './ip-policy.js';

export interface GuardedClientOptions {
  /** CIDRs exempt from the guard, e.g. ['127.0.0.0/8']. */
  allow?: string[];
  /** Whole request, body included. Default 15 s. */
  timeoutMs?: number;
  /** Response bytes kept; the rest is discarded and `truncated` set. Default 64 KiB. */
  maxResponseBytes?: number;
  /** Keep-alive connections per origin. Default 64. */
  connections?: number;
  userAgent?: string;
  /** Injectable for tests. */
  lookup?: typeof dnsLookup;
  /**
   * Replaces the socket connector, for tests: cases with non-loopback targets
   * pass one that records and refuses, so a broken guard fails the test
   * without a packet leaving the machine.
   */
  connector?: buildConnector.connector;
}

function findRefusal(err: unknown): RefusedError | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as { cause?: unknown } | undefined, i++) {
    if (e instanceof RefusedError) return e;
  }
  return undefined;
}

/**
 * The one HTTP client receivers get. Each destination address is checked
 * before any connection: IP literals directly, names after resolution (all
 * addresses must pass, and the connection is pinned to a checked one, so
 * DNS rebinding between check and connect cannot slip through). The socket's
 * peer address is checked again once connected. Redirects are never followed.
 */
export function createGuardedClient(options: GuardedClientOptions = {}): HttpClient & { close(): Promise<void> } {
  const allow: ParsedCidr[] = parseAllowList(options.allow ?? []);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxBytes = options.maxResponseBytes ?? 65_536;
  const lookup = options.lookup ?? dnsLookup;
  const connector = options.connector ?? buildConnector({ timeout: timeoutMs });

  const agent = new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect(opts, callback) {
      const host = opts.hostname.replace(/^\[|\]$/g, '');
      resolveAllowed(host, allow, lookup, (err, ip) => {
        if (err || !ip) return callback(err ?? new Error('no address'), null);
        connector({ ...opts, hostname: ip, servername: isIP(host) ? undefined : host } as Parameters<typeof connector>[0], (connectErr, socket) => {
          if (connectErr || !socket) return callback(connectErr ?? new Error('no socket'), null);
          const refused = checkPeer(host, (socket as Socket).remoteAddress, allow);
          if (refused) {
            socket.destroy();
            return callback(refused, null);
          }
          callback(null, socket);
        });
      });
    },
  });

  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      let url: URL;
      try {
        url = new URL(req.url);
      } catch {
        throw new DeliveryError('invalid URL', { reason: 'config', retryable: false });
      }
      const host = url.hostname;
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new DeliveryError(`refused: scheme ${url.protocol} is not http(s)`, { reason: 'blocked', retryable: false });
      }
      // Refuse literals before undici is even involved: no socket, no packet.
      const bare = host.replace(/^\[|\]$/g, '');
      if (isIP(bare)) {
        const verdict = checkAddress(bare, allow);
        if (!verdict.ok) throw new DeliveryError(new RefusedError(bare, bare, verdict.rule).message, { reason: 'blocked', retryable: false });
      }
      // undici's own header/body timers bound the request (no extra signal
      // per request on the hot path); the caller's signal covers the rest.
      const limitMs = req.timeoutMs ?? timeoutMs;
      const t0 = performance.now();
      try {
        const res = await request(url, {
          dispatcher: agent,
          method: req.method ?? 'POST',
          headers: { 'user-agent': options.userAgent ?? 'Herald/0.1', ...req.headers },
          body: req.body,
          signal: req.signal,
          headersTimeout: limitMs,
          bodyTimeout: limitMs,
        });
        const { body, truncated } = await readCapped(res.body, Number(res.headers['content-length'] ?? Number.NaN), maxBytes);
        return {
          status: res.statusCode,
          headers: res.headers as Record<string, string | string[] | undefined>,
          body,
          truncated,
          durationMs: performance.now() - t0,
        };
      } catch (err) {
        throw toDeliveryError(err, host, limitMs);
      }
    },
    close: () => agent.close(),
  };
}

type Body = Awaited<ReturnType<typeof request>>['body'];

/** Reads at most `maxBytes`; small bodies with a known length take the fast path. */
async function readCapped(body: Body, length: number, maxBytes: number): Promise<{ body: string; truncated: boolean }> {
  if (length <= maxBytes) return { body: await body.text(), truncated: false };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > maxBytes) {
      chunks.push(buf.subarray(0, maxBytes - size));
      body.destroy();
      return { body: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { body: Buffer.concat(chunks).toString('utf8'), truncated: false };
}

function toDeliveryError(err: unknown, host: string, timeoutMs: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const refused = findRefusal(err);
  if (refused) return new DeliveryError(refused.message, { reason: 'blocked', retryable: false });
  const e = err as { code?: string; name?: string; message?: string };
  if (e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new DeliveryError(`request to ${host} timed out after ${timeoutMs} ms`, { reason: 'timeout', retryable: true });
  }
  // A caller's AbortSignal.timeout() rejects with a DOMException named TimeoutError.
  if (e.name === 'TimeoutError') return new DeliveryError(`request to ${host} timed out`, { reason: 'timeout', retryable: true });
  if (e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED') return new DeliveryError(`request to ${host} aborted`, { reason: 'network', retryable: true });
  const code = typeof e.code === 'string' ? e.code : (err as { cause?: { code?: string } }).cause?.code;
  return new DeliveryError(`request to ${host} failed: ${code ?? e.message ?? 'network error'}`, { reason: 'network', retryable: true });
}
