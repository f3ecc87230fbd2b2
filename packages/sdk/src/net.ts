/**
 * Raw TCP (optionally TLS) for receivers that speak a line protocol. Herald
 * applies the same SSRF policy and timeouts as for HTTP.
 */
export interface TcpSendRequest {
  host: string;
  port: number;
  /** Wrap in TLS; `servername` defaults to `host`, `ca` adds a trusted CA (PEM). */
  tls?: boolean;
  servername?: string;
  ca?: string;
  /** Written whole; our side of the connection is then closed. */
  data: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TcpConnectRequest {
  host: string;
  port: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TcpClient {
  /**
   * Connects, writes `data`, half-closes; resolves once `data` and the FIN are flushed to the
   * kernel (TCP has no application ack; the peer need not close its side). `timeoutMs` bounds
   * connect and write. Rejects with a DeliveryError.
   */
  send(req: TcpSendRequest): Promise<void>;
  /**
   * A connected plain TCP socket to a checked address, for protocol libraries
   * that take a socket (e.g. nodemailer's getSocket). The caller owns and closes it.
   */
  connect(req: TcpConnectRequest): Promise<import('node:net').Socket>;
}
