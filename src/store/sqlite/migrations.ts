import { type Kysely, type Migration, sql } from 'kysely';

/** Forward-only; never edit a released one, add the next number. */
export const sqliteMigrations: Record<string, Migration> = {
  '0001_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('received_at', 'integer', (c) => c.notNull())
        .addColumn('occurred_at', 'integer')
        .addColumn('source', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('severity', 'text')
        .addColumn('key', 'text')
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_source').on('events').columns(['source', 'id']).execute();
      await db.schema.createIndex('events_key').on('events').columns(['key', 'id']).execute();

      await db.schema
        .createTable('deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
        .addColumn('receiver', 'text', (c) => c.notNull())
        .addColumn('order_key', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('run_at', 'integer', (c) => c.notNull())
        .addColumn('lease_until', 'integer')
        .addColumn('locked_by', 'text')
        .addColumn('last_error', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .execute();
      // Partial index: the claim query reads exactly these rows, in run_at order,
      // and stops at LIMIT, however many finished deliveries the table holds.
      await sql`CREATE INDEX deliveries_due ON deliveries (receiver, run_at) WHERE state IN ('pending', 'failed')`.execute(db);
      await sql`CREATE INDEX deliveries_leased ON deliveries (lease_until) WHERE state = 'running'`.execute(db);
      // Finds an earlier unfinished delivery of the same key to the same receiver (ordering).
      await sql`CREATE INDEX deliveries_ordered ON deliveries (receiver, order_key, id) WHERE order_key IS NOT NULL AND state IN ('pending', 'failed', 'running')`.execute(
        db,
      );
      // Most rows end `succeeded`; only dead ones need finding among millions.
      await sql`CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'dead'`.execute(db);
      await db.schema.createIndex('deliveries_event').on('deliveries').column('event_id').execute();

      await db.schema
        .createTable('attempts')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('delivery_id', 'text', (c) => c.notNull())
        .addColumn('try', 'integer', (c) => c.notNull())
        .addColumn('started_at', 'integer', (c) => c.notNull())
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('ok', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('status', 'integer')
        .addColumn('error', 'text')
        .addColumn('response', 'text')
        .execute();
      await db.schema.createIndex('attempts_delivery').on('attempts').column('delivery_id').execute();

      // Small durable values a receiver keeps between sends (e.g. Slack message ts per key).
      await db.schema
        .createTable('receiver_state')
        .addColumn('receiver', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('receiver_state_pk', ['receiver', 'key'])
        .execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('ids', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .execute();
    },
  },
  '0002_incidents': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('incidents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('labels', 'text', (c) => c.notNull())
        .addColumn('times_seen', 'integer', (c) => c.notNull())
        .addColumn('first_seen', 'integer', (c) => c.notNull())
        .addColumn('last_seen', 'integer', (c) => c.notNull())
        .addColumn('last_event_id', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'integer')
        .addColumn('acknowledged_at', 'integer')
        .addColumn('acknowledged_by', 'text')
        .addColumn('notified', 'text')
        .addColumn('repeat_at', 'integer')
        .addColumn('ends_at', 'integer')
        .execute();
      // At most one open incident per (route, key); resolved ones stay as history.
      await sql`CREATE UNIQUE INDEX incidents_open ON incidents (route, key) WHERE status = 'firing'`.execute(db);
      await sql`CREATE INDEX incidents_group ON incidents (route, group_key, status)`.execute(db);
      await sql`CREATE INDEX incidents_repeat ON incidents (repeat_at) WHERE status = 'firing' AND acknowledged_at IS NULL`.execute(db);
      await sql`CREATE INDEX incidents_ends ON incidents (ends_at) WHERE status = 'firing'`.execute(db);
      // Persisted group timers: a restart neither loses a pending notification nor resets a wait.
      await db.schema
        .createTable('alert_groups')
        .addColumn('route', 'text', (c) => c.notNull())
        .addColumn('group_key', 'text', (c) => c.notNull())
        .addColumn('flush_at', 'integer')
        .addColumn('last_flush_at', 'integer')
        .addColumn('interval_ms', 'integer', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('alert_groups_pk', ['route', 'group_key'])
        .execute();
      await sql`CREATE INDEX alert_groups_due ON alert_groups (flush_at) WHERE flush_at IS NOT NULL`.execute(db);
      await sql`ALTER TABLE deliveries ADD COLUMN incident_id text`.execute(db);
    },
  },
  '0003_silences': {
    async up(db: Kysely<unknown>) {
      // Silences created through the API (config ones live in the file). `matchers` is a JSON list of matcher texts.
      await db.schema
        .createTable('silences')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('matchers', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'integer', (c) => c.notNull())
        .addColumn('ends_at', 'integer', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', 'integer', (c) => c.notNull())
        .addColumn('expired_at', 'integer')
        .execute();
      await db.schema.createIndex('silences_ends').on('silences').column('ends_at').execute();
    },
  },
  '0004_incident_severity': {
    async up(db: Kysely<unknown>) {
      // An incident's severity (its latest firing event's) gives a group notification its highest member's.
      await sql`ALTER TABLE incidents ADD COLUMN severity text`.execute(db);
      // Which receivers were sent a trigger for an incident: a keyed receiver's resolve goes only where one went.
      await sql`CREATE INDEX deliveries_incident ON deliveries (incident_id) WHERE incident_id IS NOT NULL`.execute(db);
    },
  },
  '0005_incident_notes': {
    async up(db: Kysely<unknown>) {
      // What the acknowledger said (`herald incidents ack --comment`) and who resolved by hand.
      await sql`ALTER TABLE incidents ADD COLUMN acknowledged_comment text`.execute(db);
      await sql`ALTER TABLE incidents ADD COLUMN resolved_by text`.execute(db);
    },
  },
};
