import type { SqlClient, TableFingerprint } from '../contract.js';
import { canonicalRow, fingerprintOf } from '../fingerprint.js';

/**
 * Per-table fingerprints of MySQL/MariaDB, hashed in Node (see ../fingerprint.ts):
 * the rows of a table are read whole, so a table must fit in memory.
 */

export const BASE_TABLES_SQL = "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY table_name";

export const quoteMysqlIdent = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

export async function mysqlFingerprints(sql: SqlClient): Promise<TableFingerprint[]> {
  const tables = await sql.query<{ name: string }>(BASE_TABLES_SQL);
  const out: TableFingerprint[] = [];
  for (const { name } of tables) {
    const rows = await sql.query<Record<string, unknown>>(`SELECT * FROM ${quoteMysqlIdent(name)}`);
    out.push(fingerprintOf(name, rows.map((r) => canonicalRow(Object.values(r)))));
  }
  return out;
}
