/**
 * How API commands print what the API answers. Pure and free of heavy
 * imports: `herald deliveries` and `herald incidents` must start fast.
 */

/** A delivery as `GET /api/v1/deliveries` lists it. */
export interface DeliveryLine {
  id: string;
  receiver: string;
  state: string;
  attempts: number;
  run_at: string;
  updated_at?: string;
  last_error: string | null;
  last_status?: number | null;
}

/**
 * One line per delivery. `next=` only where an attempt is still to come
 * (pending, failed); finished ones show when they finished (`at=`), a running
 * one when it started. A suppressed delivery's `last_error` is why it was muted.
 */
export function formatDelivery(d: DeliveryLine): string {
  const when =
    d.state === 'pending' || d.state === 'failed'
      ? `next=${d.run_at}`
      : d.state === 'running'
        ? `started=${d.updated_at ?? d.run_at}`
        : `at=${d.updated_at ?? d.run_at}`;
  const status = d.last_status ? `  status=${d.last_status}` : '';
  const why = d.last_error ? `  ${d.state === 'suppressed' ? 'reason' : 'error'}: ${d.last_error}` : '';
  return `${d.id}  ${d.state.padEnd(10)} ${d.receiver.padEnd(16)} attempts=${d.attempts}  ${when}${status}${why}`;
}

/** An incident as `GET /api/v1/incidents[/:id]` shows it. */
export interface IncidentView {
  id: string;
  route: string;
  key: string;
  state: 'firing' | 'acknowledged' | 'resolved';
  title: string;
  times_seen: number;
  first_seen: string;
  last_seen: string;
  resolved_at: string | null;
  resolved_by?: string | null;
  group?: string;
  labels?: Record<string, string>;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledged_comment?: string | null;
  notified?: string | null;
  next_repeat_at?: string | null;
}

export interface IncidentDetail extends IncidentView {
  events: { id: string; received_at: string; status: string; severity?: string; title: string }[];
  notifications: DeliveryLine[];
}

const ack = (i: IncidentView) => (i.acknowledged_by ? `  ack by ${i.acknowledged_by}` : '');

/** One line per incident: id, state, route, key, count, last seen, title, who acknowledged. */
export function formatIncidentLine(i: IncidentView): string {
  return `${i.id}  ${i.state.padEnd(12)} ${i.route}  ${i.key}  ×${i.times_seen}  last ${i.last_seen}  ${i.title}${ack(i)}`;
}

/** `herald incidents show <id>`: everything the API knows of one incident. */
export function formatIncident(i: IncidentDetail): string {
  const labels = Object.entries(i.labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const lines = [
    `incident ${i.id}: ${i.state}`,
    `  title:        ${i.title}`,
    `  route:        ${i.route}`,
    `  key:          ${i.key}`,
    ...(i.group ? [`  group:        ${i.group}`] : []),
    `  labels:       ${labels || '(none)'}`,
    `  seen:         ${i.times_seen} time(s), first ${i.first_seen}, last ${i.last_seen}`,
  ];
  if (i.acknowledged_at)
    lines.push(`  acknowledged: ${i.acknowledged_at} by ${i.acknowledged_by ?? '?'}${i.acknowledged_comment ? ` — ${i.acknowledged_comment}` : ''}`);
  if (i.resolved_at) lines.push(`  resolved:     ${i.resolved_at}${i.resolved_by ? ` by ${i.resolved_by}` : ' (by an event or a timer)'}`);
  if (i.next_repeat_at) lines.push(`  next repeat:  ${i.next_repeat_at}`);
  lines.push(`events (${i.events.length}):`);
  for (const e of i.events) lines.push(`  ${e.id}  ${e.received_at}  ${e.status.padEnd(8)} ${e.severity ? `${e.severity.padEnd(8)} ` : ''}${e.title}`);
  lines.push(`notifications (${i.notifications.length}):`);
  for (const d of i.notifications) lines.push(`  ${formatDelivery(d)}`);
  return lines.join('\n');
}
