import Database from 'better-sqlite3';
import { type DatabaseConnection, type Driver, Kysely, SqliteDialect, sql } from 'kysely';
import { handedBack, KyselyStore, type StoreDialect } from '../kysely-store.js';
import type { Database as Schema } from '../schema.js';
import { StoreUnavailableError } from '../types.js';
import { sqliteMigrations } from './migrations.js';
import { withStatementCache } from './statement-cache.js';

export interface SqliteOptions {
  /** File path, or `:memory:`. */
  path: string;
  /** `FULL` (default) fsyncs every commit; `NORMAL` may lose the last commits on power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  /** Called with every SQL statement SQLite runs (better-sqlite3's `verbose`): for counting them in tests, never set in production. */
  trace?: (sql: string) => void;
}

/** `sqlite:./herald.db`, `sqlite:///abs/path.db` or `sqlite::memory:` → a file path. */
export function sqlitePathFromUrl(url: string): string {
  const rest = url.replace(/^sqlite:/, '');
  if (rest.startsWith('//')) return rest.slice(2);
  return rest;
}

/**
 * SQLite rolls a transaction back by itself when a statement fails with SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_NOMEM (and on some SQLITE_BUSY). Kysely then sends its own ROLLBACK, which fails with
 * "cannot rollback - no transaction is active" (SQLITE_ERROR) and is thrown instead of the cause: a
 * full disk looked like a bug (500) rather than an unavailable store (503). Skipping the ROLLBACK
 * when SQLite has none open keeps the real error.
 */
class SelfRollbackAwareDialect extends SqliteDialect {
  constructor(
    private readonly raw: Database.Database,
    config: ConstructorParameters<typeof SqliteDialect>[0],
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection, ...rest: unknown[]) => {
      if (!this.raw.inTransaction) return;
      await (rollback as (c: DatabaseConnection, ...r: unknown[]) => Promise<void>)(connection, ...rest);
    };
    return driver;
  }
}

/**
 * Opens the database in exclusive locking mode: one Herald process owns the
 * file, so deliveries left `running` by a crash can be reclaimed at once on
 * start. Several instances need the PostgreSQL store.
 */
export function openSqliteStore(options: SqliteOptions): KyselyStore {
  let raw: Database.Database;
  try {
    raw = new Database(options.path, options.trace ? { verbose: (sql) => options.trace?.(String(sql)) } : undefined);
    raw.pragma('journal_mode = WAL');
    raw.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 0');
    raw.pragma('locking_mode = EXCLUSIVE');
    // Take the lock now, so a second process fails at start, not mid-delivery.
    raw.exec('BEGIN IMMEDIATE; COMMIT;');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const hint = code === 'SQLITE_BUSY' ? ' (is another Herald process using this database? one SQLite file serves one process)' : '';
    throw new StoreUnavailableError(`cannot open SQLite database ${options.path}: ${(err as Error).message}${hint}`, { cause: err });
  }
  const acceptance = options.synchronous ?? 'FULL';
  const db = new Kysely<Schema>({ dialect: new SelfRollbackAwareDialect(raw, { database: withStatementCache(raw) }) });
  const dialect: StoreDialect = {
    name: 'sqlite',
    migrations: sqliteMigrations,
    insertChunk: 500,
    async claimIds(k, receiver, limit, workerId, leaseUntil, now) {
      const res = await sql<{ id: string; event_id: string; receiver: string; attempts: number; tries: number; incident_id: string | null }>`
        UPDATE deliveries SET state = 'running', locked_by = ${workerId}, lease_until = ${leaseUntil}, updated_at = ${now}
        WHERE id IN (
          SELECT id FROM deliveries AS d
          WHERE receiver = ${receiver} AND state IN ('pending', 'failed') AND run_at <= ${now}
            AND (order_key IS NULL OR NOT EXISTS (
              SELECT 1 FROM deliveries AS p
              WHERE p.receiver = d.receiver AND p.order_key = d.order_key AND p.id < d.id
                AND p.state IN ('pending', 'failed', 'running')))
          ORDER BY run_at LIMIT ${limit})
        RETURNING id, event_id, receiver, attempts, tries, incident_id`.execute(k);
      return res.rows;
    },
    // SQLite will not change its safety level inside a transaction, so the
    // connection is held for the switch, the transaction and the switch back:
    // no acceptance commit can run in between with the relaxed level.
    async bookkeeping(k, work) {
      return k.connection().execute(async (conn) => {
        await sql`PRAGMA synchronous = NORMAL`.execute(conn);
        try {
          return await conn.transaction().execute(work);
        } finally {
          await sql.raw(`PRAGMA synchronous = ${acceptance}`).execute(conn);
        }
      });
    },
    async recoverAbandoned(k, now) {
      const res = await k.updateTable('deliveries').set(handedBack(now)).where('state', '=', 'running').executeTakeFirst();
      return Number(res.numUpdatedRows);
    },
    async destroy() {
      if (raw.open) raw.close();
    },
  };
  return new KyselyStore(db, dialect);
}
