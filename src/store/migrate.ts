/**
 * Brings the schema to the newest version on open. Safe when many processes open
 * the same store at once: the upgrade runs in one transaction that first takes
 * the database's migration lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory
 * lock) and then re-reads the version, so exactly one process applies each step.
 */
import { ShipgateError } from '../errors.js';
import type { SqlDriver, SqlExecutor } from './driver.js';
import type { Migration } from './migrations.js';
import { LATEST_SCHEMA_VERSION } from './schema-version.js';

export const SCHEMA_TABLE = 'shipgate_schema';

export interface MigrationResult {
  /** Version found on open (0: a new store). */
  from: number;
  to: number;
  /** Versions this call applied (empty when another process did, or nothing was due). */
  applied: number[];
}

export async function migrate(driver: SqlDriver, given?: readonly Migration[]): Promise<MigrationResult> {
  const latest = given ? Math.max(0, ...given.map((m) => m.version)) : LATEST_SCHEMA_VERSION;
  const found = await readVersion(driver);
  ensureKnown(found, latest);
  // Fast path, no write lock and no migration SQL loaded: the common case of every CLI invocation.
  if (found === latest) return { from: found, to: latest, applied: [] };
  const migrations = given ?? (await import('./migrations.js')).MIGRATIONS;
  return driver.transaction(async (tx) => {
    if (driver.dialect.migrationLockSql) await tx.exec(driver.dialect.migrationLockSql);
    await ensureSchemaTable(tx);
    const current = await selectVersion(tx);
    ensureKnown(current, latest);
    const due = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
    for (const m of due) await apply(tx, driver, m);
    return { from: found, to: latest, applied: due.map((m) => m.version) };
  });
}

/** The schema version, 0 when the store has no schema table yet. */
export async function readVersion(driver: SqlDriver): Promise<number> {
  const exists = await driver.all(driver.dialect.tableExistsSql, [SCHEMA_TABLE]);
  return exists.length === 0 ? 0 : selectVersion(driver);
}

export async function selectVersion(db: SqlExecutor): Promise<number> {
  const rows = await db.all(`SELECT version FROM ${SCHEMA_TABLE}`);
  return rows.length === 0 ? 0 : Number(rows[0]?.version);
}

async function ensureSchemaTable(tx: SqlExecutor): Promise<void> {
  await tx.exec(`CREATE TABLE IF NOT EXISTS ${SCHEMA_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)`);
  await tx.run(`INSERT INTO ${SCHEMA_TABLE} (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`);
}

async function apply(tx: SqlExecutor, driver: SqlDriver, m: Migration): Promise<void> {
  for (const statement of m.up(driver.dialect)) await tx.exec(statement);
  await tx.run(`UPDATE ${SCHEMA_TABLE} SET version = ?`, [m.version]);
}

function ensureKnown(version: number, latest: number): void {
  if (version > latest) {
    throw new ShipgateError(`the store's schema is version ${version}, newer than this shipgate knows (${latest}): upgrade shipgate`);
  }
}
