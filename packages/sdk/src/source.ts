import type { Static, TSchema } from 'typebox';
import type { EventInput } from './event.js';
import type { HttpClient } from './http.js';
import { parseUntrustedJson } from './json.js';
import type { TcpClient } from './net.js';
import type { Clock, Logger, ReceiverState } from './receiver.js';
import { type SourceRejectionCode, sourceRejectionCode } from './rejection-codes.js';
import type { TemplateEngine } from './template.js';

/**
 * Input a source refuses. Nothing is stored; HTTP sources answer `status` with
 * `{error: code, code: heraldCode, detail: message}`, listener sources map it
 * to their protocol (an SMTP 5xx, a broker nack). `code` is the short slug
 * (`invalid_signature`); prefer one of SOURCE_REJECTIONS' slugs, so the
 * answer carries a specific stable code.
 */
export class SourceRejection extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SourceRejection';
  }

  /** The catalogue's stable code for `code` (HERALD_ERR_SOURCE_REJECTED for a slug it does not know). */
  get heraldCode(): SourceRejectionCode {
    return sourceRejectionCode(this.code);
  }
}

/** Shorthands for the refusals every source needs. */
export const reject = {
  malformed: (message: string) => new SourceRejection(400, 'invalid_payload', message),
  unauthorized: (message: string) => new SourceRejection(401, 'invalid_signature', message),
  unsupported: (message: string) => new SourceRejection(415, 'unsupported_media_type', message),
  tooLarge: (message: string) => new SourceRejection(413, 'payload_too_large', message),
};

export interface EmitOptions {
  deliveryId?: string;
  /** `sender` (default): received from the sender. `herald`: made by Herald about the source itself; never enriched. */
  origin?: 'sender' | 'herald';
}

/** Everything a source may touch. */
export interface SourceContext {
  /**
   * The configured source name. Events get it as their `source` (leave
   * `source` unset in a mapping), so two sources of one type are told apart
   * by routes; Herald adds the source's type as the event's `source_type`.
   */
  name: string;
  log: Logger;
  clock: Clock;
  /** The guarded outbound HTTP client (SSRF policy, timeouts). */
  http: HttpClient;
  /** Guarded TCP/TLS, e.g. for a stream client's socket. */
  net: TcpClient;
  /** Safe templates (LiquidJS) for declarative mappings; compile in create(). */
  templates: TemplateEngine;
  /**
   * Small durable values scoped to this source, kept across restarts and
   * reloads (e.g. "an outage was announced", so its end is announced too).
   */
  state: ReceiverState;
  /**
   * Stores and routes events. Resolves only once they are durably committed;
   * rejects when the store is unavailable, and then the input must not be
   * acknowledged (answer 451, leave the broker message unacked).
   * `deliveryId` (a sender's delivery or message id) makes a redelivery of the
   * same input within 24 hours return the first ids instead of storing twice.
   * `origin: 'herald'` marks events Herald makes itself rather than receives
   * (a stream's outage notice, a check's state change): the source's
   * enrichment steps look up what the sender sent, so they skip these.
   */
  emit(events: EventInput[], options?: EmitOptions): Promise<{ ids: string[]; replayed?: boolean }>;
  /** Counts and logs input a listener source refused (HTTP sources throw SourceRejection instead). */
  rejected(reason: string, detail?: string): void;
}

/** One request to `/hooks/<source name>`, body not yet interpreted. */
export interface HttpSourceRequest {
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  query: Record<string, string>;
  /** Exactly the bytes received: verify signatures over this. */
  rawBody: Buffer;
}

export type HttpSourceResult = EventInput[] | { events: EventInput[]; deliveryId?: string };

export interface HttpSourceInstance {
  kind: 'http';
  /** Largest accepted body in bytes; enforced while the body streams in. Default: server.body_limit. */
  maxBodyBytes?: number;
  /**
   * Verifies and maps one request; throws SourceRejection for bad input.
   * Return `{events, deliveryId}` when the sender names its deliveries, so a
   * re-sent delivery is stored once.
   */
  handle(req: HttpSourceRequest): HttpSourceResult | Promise<HttpSourceResult>;
}

export interface ListenerSourceInstance {
  kind: 'listener';
  /** Starts listening or connecting; resolves once ready (e.g. the port is bound). */
  start(signal: AbortSignal): Promise<void>;
  /** Stops taking input and releases everything; input in progress is not acknowledged. */
  stop(): Promise<void>;
  /**
   * Optional: how the listener is doing now, for the console and the sources
   * API, e.g. `{state: 'connected', since}` for a stream client or
   * `{state: 'listening', detail: '127.0.0.1:2525'}` for a server.
   */
  status?(): SourceStatus;
  /**
   * Optional: everything an API shows of this instance, as a JSON object (a health check's state and
   * recent results). Required of instances whose definition declares `capabilities.check`.
   */
  inspect?(): object;
}

export interface SourceStatus {
  state: 'listening' | 'connected' | 'disconnected' | 'connecting' | 'running';
  /** Epoch ms since when this state holds. */
  since?: number;
  detail?: string;
}

export type SourceInstance = HttpSourceInstance | ListenerSourceInstance;

/**
 * An API endpoint a source type answers besides `/hooks/<name>`, for senders that post to a fixed
 * path rather than a configured hook: Alertmanager's `POST /api/v2/alerts`, where Prometheus and
 * vmalert send alerts. It is always on (no source entry in the config), takes JSON, needs the API's
 * `ingest` scope, and its events get `source` and `source_type` = `source`, without enrichment.
 */
export interface SourceEndpoint {
  /** The POST path, under `/api/`; unique among all source types. */
  path: string;
  /** The `source` and `source_type` of the events it takes in, and its name in the source metrics. */
  source: string;
  /** What the body is, for messages and the console's test-payload form: `an Alertmanager alert list`. */
  describes: string;
  /** Error code of a request without a JSON body (415 without a Content-Type, else 400). */
  invalidCode: string;
  /** The message of that answer: what to send. */
  expects: string;
  /**
   * Maps the parsed JSON body to events; throws SourceRejection for a body it cannot map (answered
   * with its status and code, counted as a rejection). `now` is Herald's clock, in epoch ms.
   */
  map(body: unknown, now: number): EventInput[];
}

/** What a source type offers beyond taking input at `/hooks/<name>` or as a listener. Herald reads these; it names no source type. */
export interface SourceCapabilities {
  /**
   * Its instances are health checks: listener instances with `inspect()`, listed by `GET /api/v1/checks`
   * (without their `history`) and shown whole by `GET /api/v1/checks/<name>`.
   */
  check?: boolean;
  /** API endpoints of this type; see {@link SourceEndpoint}. */
  endpoints?: readonly SourceEndpoint[];
}

export interface SourceDefinition<S extends TSchema = TSchema> {
  /** The `type:` value in config; also the source's folder name. */
  type: string;
  version: string;
  displayName: string;
  docsUrl?: string;
  config: S;
  /** What the type can do beyond taking input; see {@link SourceCapabilities}. */
  capabilities?: SourceCapabilities;
  validate?(config: Static<S>): { path: string; message: string }[];
  create(config: Static<S>, ctx: SourceContext): SourceInstance;
}

/** Declares a source. The identity function exists for type inference. */
export function defineSource<S extends TSchema>(definition: SourceDefinition<S>): SourceDefinition<S> {
  return definition;
}

/** Reads a header that may be absent; case-insensitive by construction of HttpSourceRequest. */
export function header(req: HttpSourceRequest, name: string): string | undefined {
  return req.headers[name.toLowerCase()];
}

/** Parses the raw body as JSON, refusing non-JSON content types and bad JSON precisely. */
export function jsonBody(req: HttpSourceRequest): unknown {
  const type = header(req, 'content-type') ?? '';
  if (!/^application\/([\w.+-]+\+)?json\s*(;.*)?$/i.test(type) && !/^application\/x-www-form-urlencoded/i.test(type)) {
    throw reject.unsupported(`Content-Type ${JSON.stringify(type)} is not supported; send application/json`);
  }
  let text = req.rawBody.toString('utf8');
  // Some senders (GitHub's form mode, Bitbucket Server) post JSON in a `payload` form field.
  if (/^application\/x-www-form-urlencoded/i.test(type)) text = new URLSearchParams(text).get('payload') ?? '';
  try {
    return parseUntrustedJson(text, 'request body');
  } catch (err) {
    throw reject.malformed((err as Error).message);
  }
}
