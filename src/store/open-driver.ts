import type { SqlDriver } from './driver.js';
import type { StoreTarget } from './url.js';

/** Loads only the client library `target` needs: pg for PostgreSQL, better-sqlite3 for SQLite. */
export async function openDriver(target: StoreTarget): Promise<SqlDriver> {
  if (target.dialect === 'postgres') {
    const { openPgDriver } = await import('./pg-driver.js');
    return openPgDriver(target.url);
  }
  const { openSqliteDriver } = await import('./sqlite-driver.js');
  return openSqliteDriver(target.path);
}
