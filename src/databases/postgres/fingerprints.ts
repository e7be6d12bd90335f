import type { SqlClient, TableFingerprint } from '../contract.js';

/**
 * Per-table fingerprints computed by the server, inside the caller's transaction
 * (the dump's snapshot): rows as text, sorted by that text in the "C" collation
 * (so the server's locale does not matter and tables without a primary key work),
 * hashed with sha256. The aggregate is built in the server's memory, which caps a
 * table at about 1 GB of row text.
 */

export const USER_TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2`;

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function fingerprintSql(schema: string, table: string): string {
  return `SELECT count(*)::text AS rows, encode(sha256(convert_to(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C"), ''), 'UTF8')), 'hex') AS checksum FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`;
}

export async function postgresFingerprints(sql: SqlClient): Promise<TableFingerprint[]> {
  const tables = await sql.query<{ schema: string; name: string }>(USER_TABLES_SQL);
  const out: TableFingerprint[] = [];
  for (const t of tables) {
    const [row] = await sql.query<{ rows: string; checksum: string }>(fingerprintSql(t.schema, t.name));
    out.push({ table: `${t.schema}.${t.name}`, rows: Number(row!.rows), checksum: row!.checksum });
  }
  return out;
}
