/**
 * What differs between the SQL dialects, and nothing else. Everything the store
 * writes is otherwise portable (SQLite >= 3.35: ON CONFLICT upserts, RETURNING).
 */

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** Column type of an auto-incrementing integer primary key. */
  readonly serialKey: string;
  /** Type of text columns that are keys or sort orders: byte order in both dialects. */
  readonly keyText: string;
  /** Returns a row when the table named by the one parameter exists. */
  readonly tableExistsSql: string;
  /** First statement of the migration transaction, serializing concurrent migrators; null when BEGIN already does. */
  readonly migrationLockSql: string | null;
  /**
   * Taken in the transaction that appends an event, so events commit in `seq` order and a reader
   * that resumes after a seq never skips one committed late; null when writers are serialized anyway.
   */
  readonly eventOrderLockSql: string | null;
}

/** Arbitrary constant identifying shipgate's migration lock among advisory locks. */
export const PG_MIGRATION_LOCK_KEY = 0x5e1_9a7e;
/** Arbitrary constant of the advisory lock that orders event appends. */
export const PG_EVENT_ORDER_LOCK_KEY = 0x5e1_e7e7;

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  serialKey: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  keyText: 'TEXT',
  tableExistsSql: "SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = ?",
  // BEGIN IMMEDIATE takes the database's write lock.
  migrationLockSql: null,
  // One writer at a time: rows commit in rowid order.
  eventOrderLockSql: null,
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  serialKey: 'BIGSERIAL PRIMARY KEY',
  keyText: 'TEXT COLLATE "C"',
  tableExistsSql: 'SELECT 1 AS present WHERE to_regclass(?::text) IS NOT NULL',
  migrationLockSql: `SELECT pg_advisory_xact_lock(${PG_MIGRATION_LOCK_KEY})`,
  eventOrderLockSql: `SELECT pg_advisory_xact_lock(${PG_EVENT_ORDER_LOCK_KEY})`,
};

/** Rewrites `?` placeholders to PostgreSQL's `$1, $2...` (the store's SQL has no `?` in literals). */
export function toNumberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
