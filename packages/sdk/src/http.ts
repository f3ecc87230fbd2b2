/**
 * The guarded HTTP client every receiver uses for outbound requests. Herald
 * applies timeouts, a response-size cap and its SSRF policy; receivers never
 * import an HTTP library themselves.
 */
export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Overrides the client's default timeout, in milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, cut to the client's cap. */
  body: string;
  /** True when the body was longer than the cap and has been cut. */
  truncated: boolean;
  durationMs: number;
}

export interface HttpClient {
  /**
   * Sends one request. Rejects with a DeliveryError for network failures,
   * timeouts and refused destinations; resolves with any HTTP status.
   */
  request(req: HttpRequest): Promise<HttpResponse>;
}
