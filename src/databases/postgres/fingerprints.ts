import { createHash } from 'node:crypto';
import type { SqlClient, TableFingerprint } from '../contract.js';

/**
 * Per-table fingerprints, inside the caller's transaction (the dump's snapshot):
 * rows as PostgreSQL's own text form, sorted by that text in the "C" collation
 * (so the server's locale does not matter and tables without a primary key
 * work), read through a cursor in batches and hashed with sha256 in Node, so
 * neither side holds a whole table in memory.
 */

/** Rows per FETCH from the cursor. */
export const DEFAULT_FETCH_ROWS = 5000;

export const USER_TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2`;

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function rowsCursorSql(schema: string, table: string): string {
  return `DECLARE shipgate_rows NO SCROLL CURSOR FOR SELECT t::text AS r FROM ${quoteIdent(schema)}.${quoteIdent(table)} t ORDER BY t::text COLLATE "C"`;
}

async function fingerprintTable(sql: SqlClient, schema: string, table: string, batch: number): Promise<TableFingerprint> {
  const hash = createHash('sha256');
  let rows = 0;
  await sql.exec(rowsCursorSql(schema, table));
  for (;;) {
    const got = await sql.query<{ r: string }>(`FETCH ${batch} FROM shipgate_rows`);
    for (const { r } of got) hash.update(r).update('\n');
    rows += got.length;
    if (got.length < batch) break;
  }
  await sql.exec('CLOSE shipgate_rows');
  return { table: `${schema}.${table}`, rows, checksum: hash.digest('hex') };
}

/** Fingerprints of every user table; must run inside a transaction (the cursor lives in it). */
export async function postgresFingerprints(sql: SqlClient, batch = DEFAULT_FETCH_ROWS): Promise<TableFingerprint[]> {
  const tables = await sql.query<{ schema: string; name: string }>(USER_TABLES_SQL);
  const out: TableFingerprint[] = [];
  for (const t of tables) out.push(await fingerprintTable(sql, t.schema, t.name, batch));
  return out;
}

/** {@link postgresFingerprints} in a read-only snapshot of its own. */
export async function fingerprintDatabase(sql: SqlClient, batch = DEFAULT_FETCH_ROWS): Promise<TableFingerprint[]> {
  await sql.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await postgresFingerprints(sql, batch);
  } finally {
    await sql.exec('COMMIT');
  }
}
