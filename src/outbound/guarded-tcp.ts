import { lookup as dnsLookup } from 'node:dns';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { DeliveryError, type TcpClient, type TcpConnectRequest, type TcpSendRequest } from '@herald/sdk';
import { checkPeer, RefusedError, resolveAllowed } from './destination.js';
import { type ParsedCidr, parseAllowList } from './ip-policy.js';

export interface GuardedTcpOptions {
  allow?: string[];
  timeoutMs?: number;
  lookup?: typeof dnsLookup;
}

/** One connection per message: connect to a checked address, write, close. */
export function createGuardedTcp(options: GuardedTcpOptions = {}): TcpClient {
  const allow: ParsedCidr[] = parseAllowList(options.allow ?? []);
  const lookup = options.lookup ?? dnsLookup;
  return {
    connect(req: TcpConnectRequest): Promise<Socket> {
      const where = `${req.host}:${req.port}`;
      const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? 15_000;
      return new Promise<Socket>((resolve, reject) => {
        resolveAllowed(req.host, allow, lookup, (err, ip) => {
          if (err || !ip) return reject(toDeliveryError(err ?? new Error('no address'), where, timeoutMs));
          const socket = netConnect({ host: ip, port: req.port, timeout: timeoutMs, signal: req.signal });
          socket.once('connect', () => {
            socket.setTimeout(0);
            const refused = checkPeer(req.host, socket.remoteAddress, allow);
            if (refused) {
              socket.destroy();
              return reject(toDeliveryError(refused, where, timeoutMs));
            }
            resolve(socket);
          });
          socket.once('timeout', () => {
            socket.destroy();
            reject(toDeliveryError(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), where, timeoutMs));
          });
          socket.once('error', (e) => reject(toDeliveryError(e, where, timeoutMs)));
        });
      });
    },
    send(req: TcpSendRequest): Promise<void> {
      const where = `${req.host}:${req.port}`;
      const timeoutMs = req.timeoutMs ?? options.timeoutMs ?? 15_000;
      return new Promise<void>((resolve, reject) => {
        let socket: Socket | undefined;
        let settled = false;
        const finish = (err?: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          req.signal?.removeEventListener('abort', onAbort);
          if (err) {
            socket?.destroy();
            reject(toDeliveryError(err, where, timeoutMs));
          } else resolve();
        };
        const timer = setTimeout(() => finish(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), timeoutMs);
        const onAbort = () => finish(Object.assign(new Error('aborted'), { code: 'ABORT_ERR' }));
        if (req.signal?.aborted) return onAbort();
        req.signal?.addEventListener('abort', onAbort, { once: true });
        resolveAllowed(req.host, allow, lookup, (err, ip) => {
          if (err || !ip || settled) return finish(err ?? new Error('no address'));
          const onConnected = () => {
            const refused = checkPeer(req.host, socket?.remoteAddress, allow);
            if (refused) return finish(refused);
            // TCP has no application-level acknowledgement: once the frame and our FIN are
            // flushed to the kernel, the attempt is done. Waiting for the peer to close too
            // would time out on listeners that read but keep their side open (log shippers
            // commonly do), and each retry would then deliver the same frame again.
            socket?.end(req.data, (err?: Error | null) => {
              if (err) return finish(err);
              finish();
              linger(socket);
            });
          };
          socket = req.tls
            ? tlsConnect({ host: ip, port: req.port, servername: req.servername ?? req.host, ca: req.ca }, onConnected)
            : netConnect({ host: ip, port: req.port }, onConnected);
          // Errors after the flush (a reset as the peer goes away) no longer change the outcome.
          socket.on('error', (e) => finish(e));
          socket.on('close', (hadError) =>
            finish(hadError ? new Error('connection closed with an error') : new Error('connection closed before the frame was written')),
          );
        });
      });
    },
  };
}

/**
 * After our half-close, let the peer close its side in its own time, so the kernel does
 * not reset a connection whose frame may still be in flight; whatever the peer sends is
 * discarded. A peer that never closes is dropped after a grace period that keeps no
 * process alive.
 */
const LINGER_MS = 30_000;
function linger(socket: Socket | undefined): void {
  if (!socket) return;
  socket.resume();
  socket.unref();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function toDeliveryError(err: unknown, where: string, timeoutMs: number): DeliveryError {
  if (err instanceof DeliveryError) return err;
  if (err instanceof RefusedError) return new DeliveryError(err.message, { reason: 'blocked', retryable: false });
  const code = (err as { code?: string }).code;
  if (code === 'ETIMEDOUT') return new DeliveryError(`TCP ${where} timed out after ${timeoutMs} ms`, { reason: 'timeout', retryable: true });
  if (code === 'ABORT_ERR') return new DeliveryError(`TCP ${where} aborted`, { reason: 'network', retryable: true });
  return new DeliveryError(`TCP ${where} failed: ${code ?? (err as Error).message}`, { reason: 'network', retryable: true });
}
