import type { HeraldEvent } from '@herald/sdk';
import { type ExpressionBuilder, type Kysely, type Migration, Migrator, type Transaction } from 'kysely';
import type { Incident } from '../core/incidents.js';
import { idCeiling, idFloor } from '../lib/ids.js';
import {
  applySignal,
  autoResolve,
  commitFlush,
  commitRepeat,
  dueGroups,
  dueRepeats,
  insertNotice,
  markGroupChanged,
  toIncident,
  triggeredReceivers,
} from './incident-queries.js';
import type { Database } from './schema.js';
import {
  type AttemptRecord,
  type AttemptRow,
  type ClaimedDelivery,
  DELIVERY_STATES,
  type DeliveryFilter,
  type DeliveryRow,
  type DeliveryState,
  type DueGroup,
  type EventFilter,
  type FlushPlan,
  type IngestLease,
  type IngestOutcome,
  type IngestRequest,
  type NewDelivery,
  type NewSilence,
  type QueueStats,
  type Store,
  type StoredSilence,
  StoreUnavailableError,
} from './types.js';

/** Idempotency keys answer the same for this long. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** What differs between SQL dialects; everything else is shared below. */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly migrations: Record<string, Migration>;
  /** Rows per multi-row INSERT, kept under the dialect's bind-parameter limit. */
  readonly insertChunk: number;
  claimIds(db: Kysely<Database>, receiver: string, limit: number, workerId: string, leaseUntil: number, now: number): Promise<ClaimedRow[]>;
  recoverAbandoned(db: Kysely<Database>, now: number): Promise<number>;
  /**
   * Runs delivery bookkeeping (claims, attempt records) in one transaction
   * that need not be flushed to disk before returning: losing it to a power
   * cut means a re-send, never a lost event. Acceptance never goes through here.
   */
  bookkeeping<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  destroy(): Promise<void>;
}

export interface ClaimedRow {
  id: string;
  event_id: string;
  receiver: string;
  attempts: number;
  tries: number;
  incident_id: string | null;
}

const WAITING: DeliveryState[] = ['pending', 'failed'];

/**
 * The columns of a delivery whose lease is given up without a recorded
 * attempt (shutdown, crash, expired lease): due now, `pending` if it was
 * never tried, else `failed` (waiting to retry).
 */
export function handedBack(now: number) {
  return (eb: ExpressionBuilder<Database, 'deliveries'>) => ({
    state: eb.case().when('attempts', '=', 0).then('pending').else('failed').end(),
    lease_until: null,
    locked_by: null,
    run_at: now,
    updated_at: now,
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const iso = (ms: number) => new Date(ms).toISOString();

function wrapUnavailable<T>(work: () => Promise<T>): Promise<T> {
  return work().catch((err: unknown) => {
    const code = (err as { code?: string }).code ?? '';
    if (/^(SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY)|ECONNREFUSED|57P01|08)/.test(code)) {
      throw new StoreUnavailableError(`store unavailable: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  });
}

export class KyselyStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';

  constructor(
    private readonly db: Kysely<Database>,
    private readonly d: StoreDialect,
  ) {
    this.dialect = d.name;
  }

  async migrate(): Promise<void> {
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => this.d.migrations } });
    const { error, results } = await migrator.migrateToLatest();
    const failed = results?.find((r) => r.status === 'Error');
    if (error) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message}`, { cause: error });
  }

  async ping(): Promise<void> {
    await wrapUnavailable(() => this.db.selectFrom('events').select('id').limit(1).execute());
  }

  commitIngest(requests: IngestRequest[], now: number, lease?: IngestLease): Promise<IngestOutcome[]> {
    return wrapUnavailable(() => this.db.transaction().execute((trx) => this.ingestIn(trx, requests, now, lease)));
  }

  private async ingestIn(trx: Transaction<Database>, requests: IngestRequest[], now: number, lease?: IngestLease): Promise<IngestOutcome[]> {
    const outcomes: IngestOutcome[] = [];
    /** Per committed request, its deliveries' rows (to mark leased ones in the outcome). */
    const committedRows: { outcome: Extract<IngestOutcome, { kind: 'committed' }>; rows: Database['deliveries'][] }[] = [];
    const events: Database['events'][] = [];
    const deliveries: Database['deliveries'][] = [];
    const keys: Database['idempotency_keys'][] = [];
    const keysInBatch = new Map<string, { fingerprint: string; ids: string[] }>();
    for (const req of requests) {
      const ids = req.events.map((e) => e.id);
      if (req.idempotency) {
        const { key, fingerprint } = req.idempotency;
        const prior =
          keysInBatch.get(key) ??
          (await trx
            .selectFrom('idempotency_keys')
            .select(['fingerprint', 'ids'])
            .where('key', '=', key)
            .where('created_at', '>', now - IDEMPOTENCY_TTL_MS)
            .executeTakeFirst()
            .then((r) => (r ? { fingerprint: r.fingerprint, ids: JSON.parse(r.ids) as string[] } : undefined)));
        if (prior) {
          outcomes.push(prior.fingerprint === fingerprint ? { kind: 'replayed', ids: prior.ids } : { kind: 'conflict' });
          continue;
        }
        keysInBatch.set(key, { fingerprint, ids });
        keys.push({ key, fingerprint, ids: JSON.stringify(ids), created_at: now });
      }
      for (const e of req.events) {
        events.push({
          id: e.id,
          received_at: Date.parse(e.received_at),
          occurred_at: e.occurred_at ? Date.parse(e.occurred_at) : null,
          source: e.source ?? null,
          status: e.status,
          severity: e.severity ?? null,
          key: e.key ?? null,
          title: e.title,
          body: JSON.stringify(e),
        });
      }
      const rows: Database['deliveries'][] = [];
      for (const d of req.deliveries) {
        rows.push({
          id: d.id,
          event_id: d.eventId,
          receiver: d.receiver,
          order_key: d.orderKey ?? null,
          state: 'pending',
          attempts: 0,
          tries: 0,
          run_at: d.runAt,
          lease_until: null,
          locked_by: null,
          last_error: null,
          last_status: null,
          created_at: now,
          updated_at: now,
          incident_id: null,
        });
      }
      deliveries.push(...rows);
      for (const signal of req.incidents ?? []) await applySignal(trx, signal, now);
      const outcome: IngestOutcome = { kind: 'committed', ids };
      outcomes.push(outcome);
      committedRows.push({ outcome, rows });
    }
    if (lease && lease.ids.size > 0) {
      await this.leaseFresh(trx, deliveries, lease, now);
      for (const { outcome, rows } of committedRows) {
        const leased = rows.filter((r) => r.state === 'running').map((r) => r.id);
        if (leased.length > 0) outcome.leased = leased;
      }
    }
    if (keys.length > 0) {
      // An expired key may still be on disk; the new request takes it over.
      await trx
        .deleteFrom('idempotency_keys')
        .where(
          'key',
          'in',
          keys.map((k) => k.key),
        )
        .execute();
      for (const part of chunks(keys, this.d.insertChunk)) await trx.insertInto('idempotency_keys').values(part).execute();
    }
    for (const part of chunks(events, this.d.insertChunk)) await trx.insertInto('events').values(part).execute();
    for (const part of chunks(deliveries, this.d.insertChunk)) await trx.insertInto('deliveries').values(part).execute();
    return outcomes;
  }

  /**
   * Marks the offered fresh deliveries that may run now as leased (in place, before they are
   * inserted): due, and no earlier unfinished delivery of the same receiver and order key — in the
   * batch (any earlier one, leased or not, comes first) or in the store (one indexed read).
   */
  private async leaseFresh(trx: Transaction<Database>, rows: Database['deliveries'][], lease: IngestLease, now: number): Promise<void> {
    const seen = new Set<string>();
    const offered: Database['deliveries'][] = [];
    for (const r of rows) {
      const ordered = r.order_key === null ? undefined : `${r.receiver}\u0000${r.order_key}`;
      if (lease.ids.has(r.id) && Number(r.run_at) <= now && (ordered === undefined || !seen.has(ordered))) offered.push(r);
      if (ordered !== undefined) seen.add(ordered);
    }
    const keyed = new Map<string, [string, string]>();
    for (const r of offered) if (r.order_key !== null) keyed.set(`${r.receiver}\u0000${r.order_key}`, [r.receiver, r.order_key]);
    const busy = new Set<string>();
    // (receiver, order_key) pairs with the partial index's own condition, so `deliveries_ordered` answers it.
    for (const part of chunks([...keyed.values()], 250)) {
      const found = await trx
        .selectFrom('deliveries')
        .select(['receiver', 'order_key'])
        .where((eb) =>
          eb(
            eb.refTuple('receiver', 'order_key'),
            'in',
            part.map(([a, b]) => eb.tuple(a, b)),
          ),
        )
        .where('order_key', 'is not', null)
        .where('state', 'in', ['pending', 'failed', 'running'])
        .execute();
      for (const f of found) busy.add(`${f.receiver}\u0000${f.order_key}`);
    }
    for (const r of offered) {
      if (r.order_key !== null && busy.has(`${r.receiver}\u0000${r.order_key}`)) continue;
      r.state = 'running';
      r.locked_by = lease.workerId;
      r.lease_until = lease.leaseUntil;
    }
  }

  dueGroups(now: number, limit: number): Promise<DueGroup[]> {
    return wrapUnavailable(() => dueGroups(this.db, now, limit));
  }

  commitFlush(plan: FlushPlan, now: number): Promise<void> {
    return wrapUnavailable(() => this.db.transaction().execute((trx) => commitFlush(trx, plan, now)));
  }

  async postponeGroup(route: string, groupKey: string, flushAt: number): Promise<void> {
    await wrapUnavailable(() =>
      this.db.updateTable('alert_groups').set({ flush_at: flushAt }).where('route', '=', route).where('group_key', '=', groupKey).execute(),
    );
  }

  async triggeredReceivers(incidentIds: string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    for (const part of chunks([...new Set(incidentIds)], 500))
      for (const [id, set] of await wrapUnavailable(() => triggeredReceivers(this.db, part))) out.set(id, set);
    return out;
  }

  dueRepeats(now: number, limit: number): Promise<Incident[]> {
    return wrapUnavailable(() => dueRepeats(this.db, now, limit));
  }

  commitRepeat(incident: Incident, deliveries: NewDelivery[], nextRepeatAt: number, now: number): Promise<boolean> {
    return wrapUnavailable(() => this.db.transaction().execute((trx) => commitRepeat(trx, incident, deliveries, nextRepeatAt, now)));
  }

  autoResolve(now: number): Promise<number> {
    return wrapUnavailable(() => this.db.transaction().execute((trx) => autoResolve(trx, now)));
  }

  async listIncidents(f: { status?: 'firing' | 'resolved'; acknowledged?: boolean; route?: string; limit: number; before?: string }): Promise<Incident[]> {
    let q = this.db.selectFrom('incidents').selectAll().orderBy('id', 'desc').limit(f.limit);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.acknowledged !== undefined) q = q.where('acknowledged_at', f.acknowledged ? 'is not' : 'is', null);
    if (f.route) q = q.where('route', '=', f.route);
    if (f.before) q = q.where('id', '<', f.before);
    return (await q.execute()).map(toIncident);
  }

  async getIncident(id: string): Promise<Incident | undefined> {
    const row = await this.db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toIncident(row) : undefined;
  }

  async loadIncidents(ids: string[]): Promise<Incident[]> {
    if (ids.length === 0) return [];
    const out: Incident[] = [];
    for (const part of chunks([...new Set(ids)], 500))
      out.push(...(await this.db.selectFrom('incidents').selectAll().where('id', 'in', part).execute()).map(toIncident));
    return out;
  }

  acknowledgeIncident(
    id: string,
    by: string,
    now: number,
    opts: { comment?: string; notice?: { events: HeraldEvent[]; deliveries: NewDelivery[] } } = {},
  ): Promise<boolean> {
    return wrapUnavailable(() =>
      this.db.transaction().execute(async (trx) => {
        const res = await trx
          .updateTable('incidents')
          .set({ acknowledged_at: now, acknowledged_by: by, acknowledged_comment: opts.comment ?? null, repeat_at: null })
          .where('id', '=', id)
          .where('status', '=', 'firing')
          .where('acknowledged_at', 'is', null)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) return false;
        // The acknowledge notices commit with the acknowledgement: neither without the other.
        await insertNotice(trx, opts.notice?.events ?? [], opts.notice?.deliveries ?? [], now);
        return true;
      }),
    );
  }

  resolveIncident(id: string, now: number, policy: { groupIntervalMs: number }, by?: string): Promise<boolean> {
    return wrapUnavailable(() =>
      this.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('incidents').selectAll().where('id', '=', id).where('status', '=', 'firing').executeTakeFirst();
        if (!row) return false;
        await trx
          .updateTable('incidents')
          .set({ status: 'resolved', resolved_at: now, resolved_by: by ?? null, repeat_at: null })
          .where('id', '=', id)
          .execute();
        await markGroupChanged(trx, row.route, row.group_key, now, 0, policy.groupIntervalMs);
        return true;
      }),
    );
  }

  async claim(receiver: string, limit: number, workerId: string, leaseMs: number, now: number): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const rows = await wrapUnavailable(() => this.d.bookkeeping(this.db, (trx) => this.d.claimIds(trx, receiver, limit, workerId, now + leaseMs, now)));
    return rows.map((r) => ({
      id: r.id,
      eventId: r.event_id,
      receiver: r.receiver,
      attempts: Number(r.attempts),
      tries: Number(r.tries),
      incidentId: r.incident_id ?? undefined,
    }));
  }

  async loadEvents(ids: string[]): Promise<HeraldEvent[]> {
    const out: HeraldEvent[] = [];
    for (const part of chunks([...new Set(ids)], 500)) {
      for (const e of await this.db.selectFrom('events').select('body').where('id', 'in', part).execute()) out.push(JSON.parse(e.body) as HeraldEvent);
    }
    return out;
  }

  finish(records: AttemptRecord[], now: number): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return wrapUnavailable(() =>
      this.d.bookkeeping(this.db, async (trx) => {
        // Group successes by lease holder and HTTP status so the common case is one UPDATE.
        const ok = new Map<string, { workerId: string; status: number | null; ids: string[] }>();
        for (const r of records) {
          if (r.next.state === 'succeeded') {
            const status = r.status ?? null;
            const group = `${r.workerId}\u0000${status}`;
            const entry = ok.get(group) ?? { workerId: r.workerId, status, ids: [] };
            entry.ids.push(r.deliveryId);
            ok.set(group, entry);
            continue;
          }
          await trx
            .updateTable('deliveries')
            .set((eb) => ({
              state: r.next.state,
              attempts: r.next.countsAsAttempt ? eb('attempts', '+', 1) : eb.ref('attempts'),
              tries: eb('tries', '+', 1),
              run_at: r.next.runAt ?? now,
              lease_until: null,
              locked_by: null,
              last_error: r.error ?? null,
              last_status: r.status ?? null,
              updated_at: now,
            }))
            .where('id', '=', r.deliveryId)
            .where('locked_by', '=', r.workerId)
            .execute();
        }
        for (const { workerId, status, ids } of ok.values()) {
          for (const part of chunks(ids, 500)) {
            await trx
              .updateTable('deliveries')
              .set((eb) => ({
                state: 'succeeded',
                attempts: eb('attempts', '+', 1),
                tries: eb('tries', '+', 1),
                lease_until: null,
                locked_by: null,
                last_error: null,
                last_status: status,
                updated_at: now,
              }))
              .where('id', 'in', part)
              .where('locked_by', '=', workerId)
              .execute();
          }
        }
        const rows = records.map((r) => ({
          delivery_id: r.deliveryId,
          try: r.try,
          started_at: r.startedAt,
          duration_ms: Math.round(r.durationMs),
          ok: r.ok ? 1 : 0,
          reason: r.reason ?? null,
          status: r.status ?? null,
          error: r.error ?? null,
          response: r.response ?? null,
        }));
        for (const part of chunks(rows, this.d.insertChunk)) await trx.insertInto('attempts').values(part).execute();
      }),
    );
  }

  async release(ids: string[], workerId: string, now: number): Promise<void> {
    for (const part of chunks(ids, 500)) {
      await this.db.updateTable('deliveries').set(handedBack(now)).where('id', 'in', part).where('locked_by', '=', workerId).execute();
    }
  }

  recoverAbandoned(now: number): Promise<number> {
    return this.d.recoverAbandoned(this.db, now);
  }

  async reclaimExpired(now: number, keep: readonly string[] = []): Promise<number> {
    let q = this.db.updateTable('deliveries').set(handedBack(now)).where('state', '=', 'running').where('lease_until', '<', now);
    if (keep.length > 0) q = q.where('id', 'not in', [...keep]);
    const res = await wrapUnavailable(() => q.executeTakeFirst());
    return Number(res.numUpdatedRows);
  }

  async killOrphans(knownReceivers: string[], now: number): Promise<number> {
    let q = this.db
      .updateTable('deliveries')
      .set({ state: 'dead', last_error: 'receiver no longer configured', lease_until: null, locked_by: null, updated_at: now })
      .where('state', 'in', WAITING);
    if (knownReceivers.length > 0) q = q.where('receiver', 'not in', knownReceivers);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  async listEvents(f: EventFilter): Promise<HeraldEvent[]> {
    let q = this.db.selectFrom('events').select('body').orderBy('id', 'desc').limit(f.limit);
    if (f.source !== undefined) q = q.where('source', '=', f.source);
    if (f.status !== undefined) q = q.where('status', '=', f.status);
    if (f.key !== undefined) q = q.where('key', '=', f.key);
    // Ids start with their time, so the primary key narrows a time range.
    if (f.since !== undefined) q = q.where('id', '>=', idFloor(f.since)).where('received_at', '>=', f.since);
    if (f.until !== undefined) q = q.where('id', '<=', idCeiling(f.until)).where('received_at', '<=', f.until);
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    return (await q.execute()).map((r) => JSON.parse(r.body) as HeraldEvent);
  }

  async getEvent(id: string) {
    const row = await this.db.selectFrom('events').select('body').where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    const deliveries = await this.db.selectFrom('deliveries').selectAll().where('event_id', '=', id).orderBy('id').execute();
    const attempts =
      deliveries.length === 0
        ? []
        : await this.db
            .selectFrom('attempts')
            .selectAll()
            .where(
              'delivery_id',
              'in',
              deliveries.map((d) => d.id),
            )
            .orderBy('id')
            .execute();
    return {
      event: JSON.parse(row.body) as HeraldEvent,
      deliveries: deliveries.map((d) => ({
        ...toDeliveryRow(d),
        attempts_log: attempts.filter((a) => a.delivery_id === d.id).map(toAttemptRow),
      })),
    };
  }

  async listDeliveries(f: DeliveryFilter): Promise<DeliveryRow[]> {
    let q = this.db.selectFrom('deliveries').selectAll().orderBy('id', 'desc').limit(f.limit);
    if (f.state !== undefined) q = q.where('state', '=', f.state);
    if (f.receiver !== undefined) q = q.where('receiver', '=', f.receiver);
    if (f.incidentId !== undefined) q = q.where('incident_id', '=', f.incidentId);
    if (f.before !== undefined) q = q.where('id', '<', f.before);
    return (await q.execute()).map(toDeliveryRow);
  }

  async getDelivery(id: string): Promise<DeliveryRow | undefined> {
    const row = await this.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDeliveryRow(row) : undefined;
  }

  async replay(target: { ids: string[] } | { state: 'dead' }, now: number): Promise<string[]> {
    let q = this.db
      .updateTable('deliveries')
      .set({ state: 'pending', attempts: 0, run_at: now, lease_until: null, locked_by: null, updated_at: now })
      .where('state', '!=', 'running');
    q = 'ids' in target ? q.where('id', 'in', target.ids.length ? target.ids : ['']) : q.where('state', '=', 'dead');
    const rows = await q.returning('id').execute();
    return rows.map((r) => r.id);
  }

  async stats(now: number): Promise<QueueStats> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    const byState = Object.fromEntries(DELIVERY_STATES.map((s) => [s, 0])) as Record<DeliveryState, number>;
    for (const r of rows) if (r.state in byState) byState[r.state as DeliveryState] = Number(r.n);
    const oldest = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.min('created_at').as('at'))
      .where('state', 'in', [...WAITING, 'running'])
      .executeTakeFirst();
    return { byState, oldestPendingAgeMs: oldest?.at == null ? 0 : Math.max(0, now - Number(oldest.at)) };
  }

  async getReceiverState(receiver: string, key: string): Promise<string | undefined> {
    const row = await wrapUnavailable(() =>
      this.db.selectFrom('receiver_state').select('value').where('receiver', '=', receiver).where('key', '=', key).executeTakeFirst(),
    );
    return row?.value;
  }

  async setReceiverState(receiver: string, key: string, value: string | undefined, now: number): Promise<void> {
    await wrapUnavailable(async () => {
      if (value === undefined) {
        await this.db.deleteFrom('receiver_state').where('receiver', '=', receiver).where('key', '=', key).execute();
        return;
      }
      await this.db
        .insertInto('receiver_state')
        .values({ receiver, key, value, updated_at: now })
        .onConflict((oc) => oc.columns(['receiver', 'key']).doUpdateSet({ value, updated_at: now }))
        .execute();
    });
  }

  async createSilence(s: NewSilence): Promise<void> {
    await wrapUnavailable(() =>
      this.db
        .insertInto('silences')
        .values({ ...s, matchers: JSON.stringify(s.matchers), expired_at: null })
        .execute(),
    );
  }

  async listSilences(f: { active_at?: number; ending_after?: number }): Promise<StoredSilence[]> {
    let q = this.db.selectFrom('silences').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
    if (f.active_at !== undefined) q = q.where('starts_at', '<=', f.active_at).where('ends_at', '>', f.active_at);
    else if (f.ending_after !== undefined) q = q.where('ends_at', '>', f.ending_after);
    return (await wrapUnavailable(() => q.execute())).map(toSilence);
  }

  async expireSilence(id: string, now: number): Promise<'expired' | 'not_found' | 'ended'> {
    const res = await wrapUnavailable(() =>
      this.db.updateTable('silences').set({ ends_at: now, expired_at: now }).where('id', '=', id).where('ends_at', '>', now).executeTakeFirst(),
    );
    if (Number(res.numUpdatedRows) === 1) return 'expired';
    const row = await this.db.selectFrom('silences').select('id').where('id', '=', id).executeTakeFirst();
    return row ? 'ended' : 'not_found';
  }

  async count(table: 'events' | 'deliveries' | 'attempts' | 'idempotency_keys'): Promise<number> {
    const row = await this.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.d.destroy();
  }
}

function toDeliveryRow(d: Database['deliveries']): DeliveryRow {
  return {
    id: d.id,
    event_id: d.event_id,
    receiver: d.receiver,
    state: d.state as DeliveryState,
    attempts: Number(d.attempts),
    tries: Number(d.tries),
    run_at: iso(Number(d.run_at)),
    created_at: iso(Number(d.created_at)),
    updated_at: iso(Number(d.updated_at)),
    last_error: d.last_error,
    last_status: d.last_status,
  };
}

function toSilence(r: Database['silences']): StoredSilence {
  return {
    id: r.id,
    matchers: JSON.parse(r.matchers) as string[],
    starts_at: Number(r.starts_at),
    ends_at: Number(r.ends_at),
    author: r.author,
    comment: r.comment,
    created_at: Number(r.created_at),
    expired_at: r.expired_at === null ? null : Number(r.expired_at),
  };
}

function toAttemptRow(a: {
  try: number;
  started_at: number;
  duration_ms: number;
  ok: number;
  reason: string | null;
  status: number | null;
  error: string | null;
  response: string | null;
}): AttemptRow {
  return {
    try: Number(a.try),
    started_at: iso(Number(a.started_at)),
    duration_ms: Number(a.duration_ms),
    ok: Boolean(a.ok),
    reason: a.reason,
    status: a.status,
    error: a.error,
    response: a.response,
  };
}
