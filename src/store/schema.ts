import type { Generated } from 'kysely';

/** Table shapes as Kysely sees them. Times are epoch milliseconds. */
export interface EventsTable {
  id: string;
  received_at: number;
  occurred_at: number | null;
  source: string | null;
  status: string;
  severity: string | null;
  key: string | null;
  title: string;
  body: string;
}

export interface DeliveriesTable {
  id: string;
  event_id: string;
  receiver: string;
  /** The event key: deliveries sharing one go out to their receiver in order. */
  order_key: string | null;
  state: string;
  attempts: number;
  tries: number;
  run_at: number;
  lease_until: number | null;
  locked_by: string | null;
  last_error: string | null;
  last_status: number | null;
  created_at: number;
  updated_at: number;
  /** The incident a policy route's notification is about. */
  incident_id: string | null;
}

export interface AttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  try: number;
  started_at: number;
  duration_ms: number;
  ok: number;
  reason: string | null;
  status: number | null;
  error: string | null;
  response: string | null;
}

export interface IdempotencyTable {
  key: string;
  fingerprint: string;
  ids: string;
  created_at: number;
}

export interface ReceiverStateTable {
  receiver: string;
  key: string;
  value: string;
  updated_at: number;
}

export interface IncidentsTable {
  id: string;
  route: string;
  key: string;
  group_key: string;
  status: string;
  title: string;
  labels: string;
  times_seen: number;
  first_seen: number;
  last_seen: number;
  last_event_id: string;
  resolved_at: number | null;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
  acknowledged_comment: string | null;
  resolved_by: string | null;
  notified: string | null;
  repeat_at: number | null;
  ends_at: number | null;
  /** The latest severity a firing event of the incident gave; null while none gave one. */
  severity: string | null;
}

export interface AlertGroupsTable {
  route: string;
  group_key: string;
  flush_at: number | null;
  last_flush_at: number | null;
  interval_ms: number;
  seq: number;
}

export interface SilencesTable {
  id: string;
  /** JSON list of matcher texts. */
  matchers: string;
  starts_at: number;
  ends_at: number;
  author: string;
  comment: string;
  created_at: number;
  /** Set when expired by hand (ends_at then moves to that instant). */
  expired_at: number | null;
}

export interface Database {
  silences: SilencesTable;
  incidents: IncidentsTable;
  alert_groups: AlertGroupsTable;
  events: EventsTable;
  deliveries: DeliveriesTable;
  attempts: AttemptsTable;
  idempotency_keys: IdempotencyTable;
  receiver_state: ReceiverStateTable;
}
