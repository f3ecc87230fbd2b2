import { type EventInput, effectiveSeverity, type HeraldEvent, highestSeverity, type Json, type Severity } from '@herald/sdk';

/**
 * A route's notification policy. A route with a policy tracks incidents: events
 * with a key and a firing/resolved status open, count and close one incident
 * per (route, key), and the policy decides when receivers hear about them.
 */
export interface Policy {
  /** Label names whose values form a group; absent: every incident is its own group. */
  groupBy?: string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  /** A firing incident with no new event for this long resolves by itself. */
  autoResolveMs?: number;
  /** Flood guard: at most `count` notifications per `perMs`; the rest go out as one digest per window. */
  maxNotifications?: { count: number; perMs: number };
}

/** What one event tells one policy route about its incident; computed at ingest, applied in the store. */
export interface IncidentSignal {
  route: string;
  key: string;
  groupKey: string;
  eventId: string;
  /** The event's arrival (ms); first/last seen and resolved times come from it. */
  receivedAt: number;
  status: 'firing' | 'resolved';
  title: string;
  /** The event's own severity (a group takes its worst firing member's). */
  severity?: Severity;
  labels: Record<string, string>;
  /** Millisecond epoch after which the incident resolves by itself (auto_resolve or the event's ends_at). */
  endsAt?: number;
  groupWaitMs: number;
  groupIntervalMs: number;
}

/** The group an event's incident belongs to: the values of the group_by labels, or the key alone. */
export function groupKeyFor(event: HeraldEvent, policy: Policy): string {
  if (!policy.groupBy) return `key:${event.key ?? ''}`;
  const values = policy.groupBy.map((name) => `${name}=${JSON.stringify(fieldOrLabel(event, name) ?? '')}`);
  return `{${values.join(',')}}`;
}

function fieldOrLabel(event: HeraldEvent, name: string): string | undefined {
  if (name in event.labels) return event.labels[name];
  const v = (event as unknown as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

export function incidentSignal(event: HeraldEvent, route: string, policy: Policy): IncidentSignal | undefined {
  if (!event.key || (event.status !== 'firing' && event.status !== 'resolved')) return undefined;
  const received = Date.parse(event.received_at);
  // Prometheus/Alertmanager alerts say when they stop firing unless re-sent (`endsAt`, kept in data).
  const declaredEnd = Date.parse(String((event.data as { endsAt?: unknown } | undefined)?.endsAt ?? ''));
  const ends = [
    policy.autoResolveMs ? received + policy.autoResolveMs : Number.NaN,
    declaredEnd > received && declaredEnd < received + 365 * 86_400_000 ? declaredEnd : Number.NaN,
  ].filter((t) => !Number.isNaN(t));
  return {
    route,
    key: event.key,
    groupKey: groupKeyFor(event, policy),
    eventId: event.id,
    receivedAt: received,
    status: event.status,
    title: event.title,
    ...(event.severity ? { severity: event.severity } : {}),
    labels: event.labels,
    endsAt: ends.length > 0 ? Math.min(...ends) : undefined,
    groupWaitMs: policy.groupWaitMs,
    groupIntervalMs: policy.groupIntervalMs,
  };
}

/** An incident as stored. Times are epoch milliseconds. */
export interface Incident {
  id: string;
  route: string;
  key: string;
  groupKey: string;
  status: 'firing' | 'resolved';
  title: string;
  /** The latest severity a firing event gave (null while none gave one). */
  severity: Severity | null;
  labels: Record<string, string>;
  timesSeen: number;
  firstSeen: number;
  lastSeen: number;
  lastEventId: string;
  resolvedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** What the acknowledger said, if anything. */
  acknowledgedComment?: string | null;
  /** Who resolved it by hand; null when an event or a timer resolved it. */
  resolvedBy?: string | null;
  /** The status receivers last heard about; null until the first notification. */
  notified: 'firing' | 'resolved' | null;
  repeatAt: number | null;
  endsAt: number | null;
}

/** What templates and receivers see of an incident. */
export function incidentView(i: Incident): Record<string, Json> {
  return {
    id: i.id,
    route: i.route,
    key: i.key,
    status: i.status,
    title: i.title,
    severity: i.severity,
    times_seen: i.timesSeen,
    first_seen: new Date(i.firstSeen).toISOString(),
    last_seen: new Date(i.lastSeen).toISOString(),
    acknowledged: i.acknowledgedAt !== null,
    resolved_at: i.resolvedAt === null ? null : new Date(i.resolvedAt).toISOString(),
  };
}

/** Incidents of a group that receivers have not yet heard about in their current state. */
export function pendingNotice(incidents: readonly Incident[], policy: Pick<Policy, 'sendResolved'>): { notify: Incident[]; settleQuietly: Incident[] } {
  const notify: Incident[] = [];
  const settleQuietly: Incident[] = [];
  for (const i of incidents) {
    if (i.status === 'firing' && i.notified !== 'firing') notify.push(i);
    else if (i.status === 'resolved' && i.notified === 'firing') (policy.sendResolved ? notify : settleQuietly).push(i);
    else if (i.status === 'resolved' && i.notified === null) settleQuietly.push(i);
  }
  return { notify, settleQuietly };
}

/**
 * The one notification a flushed group sends when it holds several incidents:
 * "[FIRING:3, RESOLVED:1] group", one line per incident with its count.
 */
export function groupEvent(route: string, groupKey: string, incidents: readonly Incident[]): EventInput {
  const firing = incidents.filter((i) => i.status === 'firing');
  const resolved = incidents.filter((i) => i.status === 'resolved');
  const counts = [firing.length ? `FIRING:${firing.length}` : '', resolved.length ? `RESOLVED:${resolved.length}` : ''].filter(Boolean).join(', ');
  const common = commonLabels(incidents.map((i) => i.labels));
  const name = Object.entries(common)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  // The worst firing member decides how the group looks (Slack colour, Datadog alert_type, …).
  const severity = highestSeverity(firing.map((i) => groupSeverity(i)));
  return {
    title: `[${counts}] ${name || route}`,
    ...(severity ? { severity } : {}),
    text: incidents.map((i) => `${i.status === 'firing' ? '🔥' : '✅'} ${i.title} (${i.timesSeen} times seen)`).join('\n'),
    source: 'herald',
    type: 'group',
    status: firing.length > 0 ? 'firing' : 'resolved',
    key: `group:${route}:${groupKey}`,
    labels: common,
    data: { route, group: groupKey, firing: firing.length, resolved: resolved.length, incidents: incidents.map((i) => incidentView(i)) },
  };
}

/** A firing member's severity as receivers would show it on its own (none given: `error`). */
function groupSeverity(i: Incident): Severity {
  const s = effectiveSeverity({ status: 'firing', ...(i.severity ? { severity: i.severity } : {}) });
  return s === 'ok' ? 'info' : s;
}

function commonLabels(sets: readonly Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = sets;
  if (!first) return {};
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((s) => s[k] === v)));
}
