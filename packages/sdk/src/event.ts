/** Lifecycle state an event reports. `info` events never open or close anything. */
export type EventStatus = 'firing' | 'resolved' | 'info';
export const EVENT_STATUSES: readonly EventStatus[] = ['firing', 'resolved', 'info'];

export type Severity = 'critical' | 'error' | 'warning' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'error', 'warning', 'info'];

export interface EventLink {
  title?: string;
  url: string;
}

/** JSON value, as stored in `data`. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * What a source hands to Herald: the normalized event before Herald has
 * stamped it. Every source produces this shape; see docs/events.md.
 */
export interface EventInput {
  title: string;
  text?: string;
  source?: string;
  type?: string;
  action?: string;
  status?: EventStatus;
  severity?: Severity;
  key?: string;
  labels?: Record<string, string>;
  url?: string;
  links?: EventLink[];
  data?: Json;
  occurred_at?: string;
}

/** A stored event, as every receiver sees it. */
export interface HeraldEvent extends EventInput {
  id: string;
  /**
   * What the event came through: the source's type (`github`, `smtp` …), `api`
   * or `prometheus`; `source` is the configured source's name. Set by Herald
   * (absent on events stored before it existed).
   */
  source_type?: string;
  status: EventStatus;
  labels: Record<string, string>;
  received_at: string;
}
