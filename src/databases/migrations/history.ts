import type { AppliedMigration, SqlClient } from '../contract.js';

/**
 * The history table: one row per applied migration. The same column types work
 * on PostgreSQL, MySQL/MariaDB and SQLite; applied_at is ISO 8601 text, so it
 * reads back the same everywhere.
 */

export const TABLE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export interface HistoryTable {
  ensure(): Promise<void>;
  read(): Promise<AppliedMigration[]>;
  /** The rows, or null when the table does not exist yet (nothing applied); creates nothing. */
  readIfExists(): Promise<AppliedMigration[] | null>;
  record(row: AppliedMigration): Promise<void>;
  remove(name: string): Promise<void>;
}

/** `table` must match TABLE_NAME_RE (the config checks it; so does the runner): it is the one name spliced into SQL. */
export function quoteIdent(type: SqlClient['type'], name: string): string {
  return type === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

export function placeholders(type: SqlClient['type'], count: number): string[] {
  return Array.from({ length: count }, (_, i) => (type === 'postgres' ? `$${i + 1}` : '?'));
}

export function historyDdl(type: SqlClient['type'], table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(type, table)} (name VARCHAR(255) NOT NULL PRIMARY KEY, sha256 CHAR(64) NOT NULL, applied_at VARCHAR(40) NOT NULL, duration_ms BIGINT NOT NULL, deployment_id VARCHAR(255) NULL)`;
}

export function createHistoryTable(client: SqlClient, table: string): HistoryTable {
  const t = quoteIdent(client.type, table);
  const p = placeholders(client.type, 5);
  const read = async (): Promise<AppliedMigration[]> => (await client.query(`SELECT name, sha256, applied_at, duration_ms, deployment_id FROM ${t}`)).map(toApplied);
  return {
    ensure: () => client.exec(historyDdl(client.type, table)),
    read,
    readIfExists: () => read().catch((err: unknown) => (isMissingTable(err) ? null : Promise.reject(err))),
    record: async (row) =>
      void (await client.query(`INSERT INTO ${t} (name, sha256, applied_at, duration_ms, deployment_id) VALUES (${p.join(', ')})`, [row.name, row.sha256, row.appliedAt, row.durationMs, row.deploymentId])),
    remove: async (name) => void (await client.query(`DELETE FROM ${t} WHERE name = ${p[0]}`, [name])),
  };
}

/** PostgreSQL 42P01, MySQL/MariaDB ER_NO_SUCH_TABLE (1146), SQLite "no such table". */
function isMissingTable(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown };
  return e.code === '42P01' || e.errno === 1146 || (typeof e.message === 'string' && e.message.startsWith('no such table'));
}

function toApplied(row: Record<string, unknown>): AppliedMigration {
  return {
    name: String(row.name),
    sha256: String(row.sha256),
    appliedAt: String(row.applied_at),
    // PostgreSQL returns BIGINT as text.
    durationMs: Number(row.duration_ms),
    deploymentId: row.deployment_id === null || row.deployment_id === undefined ? null : String(row.deployment_id),
  };
}
