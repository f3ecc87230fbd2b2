import type { HeraldEvent } from '@herald/sdk';
import type { Kysely, Transaction } from 'kysely';
import type { Incident, IncidentSignal } from '../core/incidents.js';
import { newId } from '../lib/ids.js';
import type { Database, IncidentsTable } from './schema.js';
import type { DueGroup, FlushPlan, NewDelivery } from './types.js';

type Db = Kysely<Database> | Transaction<Database>;

export function toIncident(r: IncidentsTable): Incident {
  return {
    id: r.id,
    route: r.route,
    key: r.key,
    groupKey: r.group_key,
    status: r.status as Incident['status'],
    title: r.title,
    severity: (r.severity ?? null) as Incident['severity'],
    labels: JSON.parse(r.labels) as Record<string, string>,
    timesSeen: Number(r.times_seen),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    lastEventId: r.last_event_id,
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    acknowledgedComment: r.acknowledged_comment ?? null,
    resolvedBy: r.resolved_by ?? null,
    notified: r.notified as Incident['notified'],
    repeatAt: r.repeat_at === null ? null : Number(r.repeat_at),
    endsAt: r.ends_at === null ? null : Number(r.ends_at),
  };
}

/**
 * Something changed in a group: schedule its notification. A new group waits
 * group_wait; a group notified before waits until group_interval after that;
 * an already scheduled flush keeps its time. Every change bumps `seq`.
 */
export async function markGroupChanged(trx: Db, route: string, groupKey: string, now: number, waitMs: number, intervalMs: number): Promise<void> {
  const g = await trx.selectFrom('alert_groups').selectAll().where('route', '=', route).where('group_key', '=', groupKey).executeTakeFirst();
  if (!g) {
    await trx
      .insertInto('alert_groups')
      .values({ route, group_key: groupKey, flush_at: now + waitMs, last_flush_at: null, interval_ms: intervalMs, seq: 1 })
      .execute();
    return;
  }
  const flushAt = g.flush_at ?? (g.last_flush_at === null ? now + waitMs : Math.max(now, Number(g.last_flush_at) + intervalMs));
  await trx
    .updateTable('alert_groups')
    .set({ flush_at: flushAt, seq: Number(g.seq) + 1, interval_ms: intervalMs })
    .where('route', '=', route)
    .where('group_key', '=', groupKey)
    .execute();
}

/** Applies one event to its (route, key) incident: open, count, or resolve. A resolve with nothing open is a no-op. */
export async function applySignal(trx: Db, s: IncidentSignal, now: number): Promise<void> {
  const open = await trx
    .selectFrom('incidents')
    .selectAll()
    .where('route', '=', s.route)
    .where('key', '=', s.key)
    .where('status', '=', 'firing')
    .executeTakeFirst();
  if (s.status === 'firing') {
    if (open) {
      // Dedup: the same state is not notified again; the count and the latest event are kept.
      await trx
        .updateTable('incidents')
        .set({
          times_seen: Number(open.times_seen) + 1,
          last_seen: s.receivedAt,
          last_event_id: s.eventId,
          title: s.title,
          // The latest firing event says how bad it is now (an alert escalating from warning to critical);
          // one without a severity says nothing about it, so the known one stays.
          severity: s.severity ?? open.severity,
          labels: JSON.stringify(s.labels),
          ends_at: s.endsAt ?? open.ends_at,
        })
        .where('id', '=', open.id)
        .execute();
      return;
    }
    await trx
      .insertInto('incidents')
      .values({
        id: newId(now),
        route: s.route,
        key: s.key,
        group_key: s.groupKey,
        status: 'firing',
        title: s.title,
        severity: s.severity ?? null,
        labels: JSON.stringify(s.labels),
        times_seen: 1,
        first_seen: s.receivedAt,
        last_seen: s.receivedAt,
        last_event_id: s.eventId,
        resolved_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        acknowledged_comment: null,
        resolved_by: null,
        notified: null,
        repeat_at: null,
        ends_at: s.endsAt ?? null,
      })
      .execute();
    await markGroupChanged(trx, s.route, s.groupKey, now, s.groupWaitMs, s.groupIntervalMs);
    return;
  }
  if (!open) return;
  await trx
    .updateTable('incidents')
    .set({ status: 'resolved', resolved_at: s.receivedAt, last_event_id: s.eventId, repeat_at: null })
    .where('id', '=', open.id)
    .execute();
  await markGroupChanged(trx, open.route, open.group_key, now, s.groupWaitMs, s.groupIntervalMs);
}

export async function dueGroups(db: Db, now: number, limit: number): Promise<DueGroup[]> {
  const groups = await db.selectFrom('alert_groups').selectAll().where('flush_at', '<=', now).orderBy('flush_at').limit(limit).execute();
  const out: DueGroup[] = [];
  for (const g of groups) {
    // Open incidents, and resolved ones receivers have not heard about yet.
    const rows = await db
      .selectFrom('incidents')
      .selectAll()
      .where('route', '=', g.route)
      .where('group_key', '=', g.group_key)
      .where((eb) => eb.or([eb('status', '=', 'firing'), eb('notified', '=', 'firing'), eb('notified', 'is', null)]))
      .orderBy('id')
      .execute();
    out.push({ route: g.route, groupKey: g.group_key, seq: Number(g.seq), incidents: rows.map(toIncident) });
  }
  return out;
}

function deliveryRow(d: NewDelivery, now: number): Database['deliveries'] {
  return {
    id: d.id,
    event_id: d.eventId,
    receiver: d.receiver,
    order_key: d.orderKey ?? null,
    state: d.suppressed ? 'suppressed' : 'pending',
    attempts: 0,
    tries: 0,
    run_at: d.runAt,
    lease_until: null,
    locked_by: null,
    last_error: d.suppressed ?? null,
    last_status: null,
    created_at: now,
    updated_at: now,
    incident_id: d.incidentId ?? null,
  };
}

export function eventRow(e: HeraldEvent): Database['events'] {
  return {
    id: e.id,
    received_at: Date.parse(e.received_at),
    occurred_at: e.occurred_at ? Date.parse(e.occurred_at) : null,
    source: e.source ?? null,
    status: e.status,
    severity: e.severity ?? null,
    key: e.key ?? null,
    title: e.title,
    body: JSON.stringify(e),
  };
}

/** Stores notification events and their deliveries (inside the caller's transaction). */
export async function insertNotice(trx: Db, events: HeraldEvent[], deliveries: NewDelivery[], now: number): Promise<void> {
  for (const e of events) await trx.insertInto('events').values(eventRow(e)).execute();
  for (const d of deliveries) await trx.insertInto('deliveries').values(deliveryRow(d, now)).execute();
}

export async function commitFlush(trx: Transaction<Database>, plan: FlushPlan, now: number): Promise<void> {
  await insertNotice(trx, plan.events, plan.deliveries, now);
  for (const n of plan.notified) await trx.updateTable('incidents').set({ notified: n.notified, repeat_at: n.repeatAt }).where('id', '=', n.id).execute();
  const g = await trx.selectFrom('alert_groups').select(['seq']).where('route', '=', plan.route).where('group_key', '=', plan.groupKey).executeTakeFirst();
  // Changes that arrived while this flush was planned get their own notification, one group_interval later.
  const changed = g !== undefined && Number(g.seq) !== plan.seq;
  await trx
    .updateTable('alert_groups')
    .set({ last_flush_at: now, flush_at: changed ? plan.nextFlushAt : null })
    .where('route', '=', plan.route)
    .where('group_key', '=', plan.groupKey)
    .execute();
}

export async function dueRepeats(db: Db, now: number, limit: number): Promise<Incident[]> {
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where('status', '=', 'firing')
    .where('acknowledged_at', 'is', null)
    .where('repeat_at', '<=', now)
    .orderBy('repeat_at')
    .limit(limit)
    .execute();
  return rows.map(toIncident);
}

export async function commitRepeat(
  trx: Transaction<Database>,
  incident: Incident,
  deliveries: NewDelivery[],
  nextRepeatAt: number,
  now: number,
): Promise<boolean> {
  const res = await trx
    .updateTable('incidents')
    .set({ repeat_at: nextRepeatAt })
    .where('id', '=', incident.id)
    .where('status', '=', 'firing')
    .where('acknowledged_at', 'is', null)
    .where('repeat_at', '=', incident.repeatAt)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return false;
  for (const d of deliveries) await trx.insertInto('deliveries').values(deliveryRow(d, now)).execute();
  return true;
}

export async function autoResolve(trx: Transaction<Database>, now: number): Promise<number> {
  const rows = await trx.selectFrom('incidents').selectAll().where('status', '=', 'firing').where('ends_at', '<=', now).execute();
  for (const r of rows) {
    await trx.updateTable('incidents').set({ status: 'resolved', resolved_at: now, repeat_at: null }).where('id', '=', r.id).execute();
    const g = await trx.selectFrom('alert_groups').select(['interval_ms']).where('route', '=', r.route).where('group_key', '=', r.group_key).executeTakeFirst();
    const interval = Number(g?.interval_ms ?? 0);
    await markGroupChanged(trx, r.route, r.group_key, now, 0, interval);
  }
  return rows.length;
}

/**
 * For each incident, the receivers that were queued a firing notification
 * (first notice or repeat) about it — suppressed ones do not count, since
 * they were never sent. A keyed receiver is sent a resolve or an acknowledge
 * only for a key it was triggered with.
 */
export async function triggeredReceivers(db: Db, incidentIds: string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (incidentIds.length === 0) return out;
  const rows = await db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .select(['deliveries.incident_id as incident', 'deliveries.receiver as receiver'])
    .where('deliveries.incident_id', 'in', incidentIds)
    .where('deliveries.state', '!=', 'suppressed')
    .where('events.status', '=', 'firing')
    .distinct()
    .execute();
  for (const r of rows) {
    if (r.incident === null) continue;
    const set = out.get(r.incident) ?? new Set<string>();
    set.add(r.receiver);
    out.set(r.incident, set);
  }
  return out;
}
