import type Database from 'better-sqlite3';

/**
 * Kysely prepares every query anew; on SQLite, preparing costs as much as
 * running. This wraps the connection so the same SQL text reuses its
 * prepared statement. Kysely only needs `prepare` and `close`.
 */
export function withStatementCache(db: Database.Database, capacity = 256): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = (source: string): Database.Statement => {
    let stmt = cache.get(source);
    if (stmt) {
      // Re-insert to keep the map in least-recently-used order.
      cache.delete(source);
      cache.set(source, stmt);
      return stmt;
    }
    stmt = db.prepare(source);
    cache.set(source, stmt);
    if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
    return stmt;
  };
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === 'prepare') return prepare;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
