import type { HeraldEvent } from '@herald/sdk';
import type { Incident, IncidentSignal } from '../core/incidents.js';
import type { ErrorCode } from '../errors/catalogue.js';

/** `suppressed`: a notification a silence, maintenance window or inhibition muted — kept visible, never sent. */
export type DeliveryState = 'pending' | 'running' | 'failed' | 'succeeded' | 'dead' | 'suppressed';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'running', 'failed', 'succeeded', 'dead', 'suppressed'];

export interface NewDelivery {
  id: string;
  eventId: string;
  receiver: string;
  runAt: number;
  /** Deliveries with the same order key and receiver are sent one after another, in id order. */
  orderKey?: string;
  /** The incident this notification is about (policy routes). */
  incidentId?: string;
  /** Why it is muted; stored as `suppressed`, never sent. */
  suppressed?: string;
}

/** One accepted request: committed whole or not at all. */
export interface IngestRequest {
  events: HeraldEvent[];
  deliveries: NewDelivery[];
  /** Scoped key (principal + header value) and a hash of the request body. */
  idempotency?: { key: string; fingerprint: string };
  /** What the events tell policy routes' incidents (applied in the same transaction). */
  incidents?: IncidentSignal[];
}

/**
 * `leased`: ids of this request's deliveries that were inserted already leased (see IngestLease).
 */
export type IngestOutcome = { kind: 'committed'; ids: string[]; leased?: string[] } | { kind: 'replayed'; ids: string[] } | { kind: 'conflict' };

/**
 * Fresh deliveries the committing process will send at once (it holds free slots for them): they
 * are inserted `running`, leased to `workerId`, so no claim has to find them again. The store
 * leases only those that may run now — due, and with no earlier unfinished delivery of the same
 * order key to the same receiver (in the store or earlier in the batch) — and inserts the rest
 * `pending` as usual.
 */
export interface IngestLease {
  workerId: string;
  leaseUntil: number;
  ids: ReadonlySet<string>;
}

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  receiver: string;
  /** Attempts counted toward the limit so far (rate-limited tries do not count). */
  attempts: number;
  /** Every try so far, counted or not. */
  tries: number;
  incidentId?: string;
}

export interface AttemptRecord {
  deliveryId: string;
  workerId: string;
  /** 1-based number of this try. */
  try: number;
  startedAt: number;
  durationMs: number;
  ok: boolean;
  reason?: string;
  status?: number;
  error?: string;
  response?: string;
  /** The state to move the delivery to and, for `failed`, when to try again. */
  next: { state: 'succeeded' | 'failed' | 'dead'; runAt?: number; countsAsAttempt: boolean };
}

export interface EventFilter {
  source?: string;
  status?: string;
  key?: string;
  /** received_at bounds, epoch ms, inclusive. */
  since?: number;
  until?: number;
  /** Return events older than this id (ids sort by time): cursor pagination. */
  before?: string;
  limit: number;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  receiver: string;
  state: DeliveryState;
  attempts: number;
  tries: number;
  run_at: string;
  created_at: string;
  updated_at: string;
  last_error: string | null;
  last_status: number | null;
}

export interface AttemptRow {
  try: number;
  started_at: string;
  duration_ms: number;
  ok: boolean;
  reason: string | null;
  status: number | null;
  error: string | null;
  response: string | null;
}

export interface DeliveryFilter {
  state?: DeliveryState | undefined;
  receiver?: string | undefined;
  incidentId?: string | undefined;
  before?: string | undefined;
  limit: number;
}

export interface QueueStats {
  byState: Record<DeliveryState, number>;
  /** Age of the oldest delivery waiting to be sent, 0 when none. */
  oldestPendingAgeMs: number;
}

/**
 * Everything Herald persists. One interface, one implementation per SQL
 * dialect; callers never see which.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  /** Commits many requests in one transaction (group commit); one outcome each. */
  commitIngest(requests: IngestRequest[], now: number, lease?: IngestLease): Promise<IngestOutcome[]>;
  /** Leases up to `limit` due deliveries of one receiver to `workerId`. */
  claim(receiver: string, limit: number, workerId: string, leaseMs: number, now: number): Promise<ClaimedDelivery[]>;
  /** The stored events with these ids (those that exist). */
  loadEvents(ids: string[]): Promise<HeraldEvent[]>;
  /** Records attempts and moves their deliveries on; ignores ones whose lease was lost. */
  finish(records: AttemptRecord[], now: number): Promise<void>;
  /** Hands leased deliveries back untried (shutdown, receiver swapped mid-claim). */
  release(ids: string[], workerId: string, now: number): Promise<void>;
  /** Makes deliveries leased by a dead process claimable again; returns how many. */
  recoverAbandoned(now: number): Promise<number>;
  /**
   * Makes deliveries whose lease ran out claimable again (a hung or vanished
   * worker), except `keep`: the caller's own attempts in flight, which its
   * attempt timer bounds (a clock that jumps must not make it send them twice).
   */
  reclaimExpired(now: number, keep?: readonly string[]): Promise<number>;
  /** Dead-letters pending work for receivers that no longer exist. */
  killOrphans(knownReceivers: string[], now: number): Promise<number>;
  listEvents(filter: EventFilter): Promise<HeraldEvent[]>;
  getEvent(id: string): Promise<{ event: HeraldEvent; deliveries: (DeliveryRow & { attempts_log: AttemptRow[] })[] } | undefined>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRow[]>;
  getDelivery(id: string): Promise<DeliveryRow | undefined>;
  /** Re-queues deliveries now. Returns the ids actually re-queued. */
  replay(target: { ids: string[] } | { state: 'dead' }, now: number): Promise<string[]>;
  stats(now: number): Promise<QueueStats>;
  /** A receiver's durable key-value state; `undefined` value deletes. */
  getReceiverState(receiver: string, key: string): Promise<string | undefined>;
  setReceiverState(receiver: string, key: string, value: string | undefined, now: number): Promise<void>;
  /** Groups whose notification is due, with their incidents (open ones and those resolved since the last notice). */
  dueGroups(now: number, limit: number): Promise<DueGroup[]>;
  /** Writes one group notification and its bookkeeping in one transaction. */
  commitFlush(plan: FlushPlan, now: number): Promise<void>;
  /** Moves a group's next flush (flood guard: wait for the next digest window). */
  postponeGroup(route: string, groupKey: string, flushAt: number): Promise<void>;
  /**
   * Per incident, the receivers that were queued (not suppressed) a firing
   * notification about it: where a keyed receiver's resolve or acknowledge may go.
   */
  triggeredReceivers(incidentIds: string[]): Promise<Map<string, Set<string>>>;
  /** Firing, unacknowledged incidents whose repeat is due. */
  dueRepeats(now: number, limit: number): Promise<Incident[]>;
  /** Queues a repeat if the incident is still as read; false when it changed meanwhile. */
  commitRepeat(incident: Incident, deliveries: NewDelivery[], nextRepeatAt: number, now: number): Promise<boolean>;
  /** Resolves firing incidents whose ends_at has passed; returns how many. */
  autoResolve(now: number): Promise<number>;
  /** `acknowledged`: only (un)acknowledged ones. */
  listIncidents(filter: { status?: 'firing' | 'resolved'; acknowledged?: boolean; route?: string; limit: number; before?: string }): Promise<Incident[]>;
  getIncident(id: string): Promise<Incident | undefined>;
  loadIncidents(ids: string[]): Promise<Incident[]>;
  /**
   * Acknowledges a firing incident (stops repeats), with the acknowledger's
   * comment, and stores the acknowledge notices with it, in one transaction;
   * false (and nothing stored) when it is not firing or already acknowledged.
   */
  acknowledgeIncident(
    id: string,
    by: string,
    now: number,
    opts?: { comment?: string; notice?: { events: HeraldEvent[]; deliveries: NewDelivery[] } },
  ): Promise<boolean>;
  /** Resolves a firing incident by hand, as a resolved event would; false when it is not firing. */
  resolveIncident(id: string, now: number, policy: { groupIntervalMs: number }, by?: string): Promise<boolean>;
  /** Stores a silence created through the API. */
  createSilence(silence: NewSilence): Promise<void>;
  /**
   * Stored silences, newest first: those in force at `active_at`, else those
   * not ended at `ending_after` (active and pending), else every one.
   */
  listSilences(filter: { active_at?: number; ending_after?: number }): Promise<StoredSilence[]>;
  /** Ends a silence now (ends_at = now); `ended` when it had already ended. */
  expireSilence(id: string, now: number): Promise<'expired' | 'not_found' | 'ended'>;
  /** Counts rows; used by tests and /readyz-style checks. */
  count(table: 'events' | 'deliveries' | 'attempts' | 'idempotency_keys'): Promise<number>;
  close(): Promise<void>;
}

export interface DueGroup {
  route: string;
  groupKey: string;
  /** Changes seen so far; a flush that read an older value schedules another. */
  seq: number;
  incidents: Incident[];
}

export interface FlushPlan {
  route: string;
  groupKey: string;
  seq: number;
  /** A group notification of several incidents is stored as an event of its own. */
  events: HeraldEvent[];
  deliveries: NewDelivery[];
  notified: { id: string; notified: 'firing' | 'resolved'; repeatAt: number | null }[];
  /** When changes arrived during the flush: the next flush time. */
  nextFlushAt: number;
}

/** A silence as stored (API-created ones; config ones are not stored). Times are epoch ms. */
export interface StoredSilence {
  id: string;
  /** Matcher texts, as given (parsed with parseMatcher). */
  matchers: string[];
  starts_at: number;
  ends_at: number;
  author: string;
  comment: string;
  created_at: number;
  /** When it was expired by hand, else null. */
  expired_at: number | null;
}

export type NewSilence = Omit<StoredSilence, 'expired_at'>;

/** Raised when the store cannot be reached or written; callers answer 503. */
export class StoreUnavailableError extends Error {
  /** Its catalogue code; the API's 503 `store_unavailable` answer and the CLI print it. */
  readonly code = 'HERALD_ERR_STORE_UNAVAILABLE' satisfies ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
