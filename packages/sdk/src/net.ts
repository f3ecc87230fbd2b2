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
  /** Written whole; the connection is then closed. */
  data: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface TcpClient {
  /** Connects, writes `data`, closes; resolves once the peer has it. Rejects with a DeliveryError. */
  send(req: TcpSendRequest): Promise<void>;
}
