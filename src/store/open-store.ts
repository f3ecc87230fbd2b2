import type { HeraldConfig } from '../config/load.js';
import { openSqliteStore, sqlitePathFromUrl } from './sqlite/sqlite-dialect.js';
import type { Store } from './types.js';

/** Picks the dialect from the storage URL. */
export function openStore(storage: HeraldConfig['storage']): Store {
  if (storage.url.startsWith('sqlite:')) return openSqliteStore({ path: sqlitePathFromUrl(storage.url), synchronous: storage.synchronous });
  throw new Error(
    `storage.url: the PostgreSQL store is not part of this Herald version yet; use a sqlite: URL (got ${storage.url.replace(/\/\/[^@/]*@/, '//***@')})`,
  );
}
