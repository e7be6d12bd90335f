import type { SqlClient, TableFingerprint } from '../contract.js';

/**
 * Per-table fingerprints computed by the server, inside the caller's transaction
 * (the dump's snapshot): the row count and the sum of a 64-bit hash of each row's
 * text form. A sum needs no sort and no memory per row, so it runs at the speed
 * of a sequential scan, has no size limit, works for tables without a primary
 * key, and does not care in which order a restore wrote the rows. (Sorting every
 * row as text and hashing it took 59 s on a 1 GB pgbench table, four times the
 * pg_dump beside it, and a single string of every row fails past the server's
 * 1 GB value limit.) It is not a cryptographic digest: it proves that a restore
 * reproduced the rows; the archive's sha256 guards the bytes. hashtextextended
 * has been stable since PostgreSQL 11, so a scratch server of another version
 * (verifyUrl) gives the same figures.
 */

export const USER_TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2`;

export const USER_SCHEMAS_SQL = `SELECT nspname AS name FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`;

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** md5 only turns the one sum into fixed-width hex for the record. */
export function fingerprintSql(schema: string, table: string): string {
  return `SELECT count(*)::text AS rows, md5(coalesce(sum(hashtextextended(t::text, 0)::numeric), 0)::text) AS checksum FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`;
}

/** Fingerprints of every user table, in the caller's transaction if it has one. */
export async function postgresFingerprints(sql: SqlClient): Promise<TableFingerprint[]> {
  const tables = await sql.query<{ schema: string; name: string }>(USER_TABLES_SQL);
  const out: TableFingerprint[] = [];
  for (const t of tables) {
    const [row] = await sql.query<{ rows: string; checksum: string }>(fingerprintSql(t.schema, t.name));
    out.push({ table: `${t.schema}.${t.name}`, rows: Number(row!.rows), checksum: row!.checksum });
  }
  return out;
}

/** {@link postgresFingerprints} in a read-only snapshot of its own. */
export async function fingerprintDatabase(sql: SqlClient): Promise<TableFingerprint[]> {
  await sql.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await postgresFingerprints(sql);
  } finally {
    await sql.exec('COMMIT');
  }
}
