import type { Static, TSchema } from 'typebox';
import type { HeraldEvent, Json } from './event.js';
import type { HttpClient } from './http.js';
import type { TcpClient } from './net.js';
import type { Person, TemplateEngine } from './template.js';

/** The logger a plugin receives: pino-compatible, with secrets redacted. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface Clock {
  now(): number;
  /** Resolves after `ms` of this clock's time; rejects if `signal` aborts first. Tests inject a virtual clock. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** What one delivery carries to one receiver. */
export interface Notification {
  /** The delivery id: stable across retries, usable as an idempotency key. */
  id: string;
  /** The configured receiver name. */
  receiver: string;
  event: HeraldEvent;
  people: Person[];
  /**
   * The incident this notification is about, on routes with a notification
   * policy: `{id, key, status, title, times_seen, first_seen, last_seen, acknowledged, …}`.
   */
  incident?: Record<string, Json>;
}

/**
 * Small durable values a receiver keeps between sends, scoped to the
 * receiver (e.g. the id of the message to update when an incident resolves).
 */
export interface ReceiverState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Everything a receiver may touch while it sends. */
export interface SendContext {
  http: HttpClient;
  /** Raw TCP/TLS behind the same SSRF guard. */
  net: TcpClient;
  state: ReceiverState;
  log: Logger;
  clock: Clock;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when Herald shuts down or the attempt times out. */
  signal: AbortSignal;
}

/** What a successful send may report back; kept with the attempt. */
export interface SendResult {
  status?: number;
  response?: string;
}

export interface ReceiverInstance {
  send(notification: Notification, ctx: SendContext): Promise<SendResult | undefined>;
  /** Releases pooled connections when the receiver is replaced or Herald stops. */
  close?(): Promise<void>;
}

export interface CreateContext {
  /** The configured receiver name. */
  name: string;
  log: Logger;
  /** Safe templates (LiquidJS with limits); compile in create(), render in send(). */
  templates: TemplateEngine;
  /** The clock sends will see; pacing and timers built in create() use it. */
  clock: Clock;
}

export interface ReceiverCapabilities {
  /** It passes an incident's acknowledgement on (PagerDuty `acknowledge`). */
  acknowledge?: boolean;
  /**
   * The provider keeps one alert per key and opens, acknowledges and closes it
   * by that key (PagerDuty `dedup_key`, Opsgenie `alias`). Herald then sends it
   * one action per member incident under that incident's own key — never a
   * group key — so every key it triggers is later resolved through the same
   * key: the resolve goes out even while the incident is silenced or the
   * route says `send_resolved: false`, and no resolve or acknowledge goes to
   * a key it was never triggered with (docs/alerting.md, "Groups and keyed
   * receivers").
   */
  dedupByKey?: boolean;
}

/**
 * The contact a receiver reads from the people a route attaches
 * (`person.contacts[field]`), and the form it must have. Herald checks every
 * user's contact of that kind against it when it loads the config, so a typo
 * is refused there instead of being a page that never arrives. The message
 * reads `must be <description>, e.g. <example> (<hint>)`.
 */
export interface ReceiverContact {
  /** The key under a user's `contacts:` (lower-case), e.g. `slack`. */
  field: string;
  /** The whole value must match: anchor it (`^…$`). A string is compiled with the `u` flag. */
  pattern: RegExp | string;
  /** What the value is, finishing "must be …": `a Slack member ID`. */
  description: string;
  /** A valid value, shown after "e.g.". */
  example: string;
  /** Where to find the value, shown in parentheses: `Profile → ⋮ → Copy member ID`. */
  hint?: string;
}

export interface ReceiverDefinition<S extends TSchema = TSchema> {
  /** The `type:` value in config; also the receiver's folder name. */
  type: string;
  version: string;
  displayName: string;
  docsUrl?: string;
  /** One schema: TypeScript type, validation, secret masking and JSON Schema. */
  config: S;
  /** What the receiver can do beyond sending; see {@link ReceiverCapabilities}. */
  capabilities?: ReceiverCapabilities;
  /** The person contact it reads and how to check it; see {@link ReceiverContact}. */
  contact?: ReceiverContact;
  /** Rules one schema cannot say (e.g. exactly one of `url` / `token`); paths are relative to the receiver entry. */
  validate?(config: Static<S>): { path: string; message: string }[];
  create(config: Static<S>, ctx: CreateContext): ReceiverInstance;
}

/** Declares a receiver. The identity function exists for type inference. */
export function defineReceiver<S extends TSchema>(definition: ReceiverDefinition<S>): ReceiverDefinition<S> {
  return definition;
}
