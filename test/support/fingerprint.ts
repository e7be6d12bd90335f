/**
 * What "identical to before" means in the data tests: every table's rows (the
 * engines' own per-table fingerprints: row count and a sha256 over the rows) and
 * every table's columns (name, type, nullability), so a column left behind by a
 * migration shows even on an empty table.
 */
import { openSql, sqlitePath } from '../../src/databases/connection.js';
import type { TableFingerprint } from '../../src/databases/contract.js';
import { mysqlFingerprints } from '../../src/databases/mysql/fingerprints.js';
import { postgresFingerprints } from '../../src/databases/postgres/fingerprints.js';
import { sqliteFingerprints, sqliteTables } from '../../src/databases/sqlite/engine.js';

export interface DatabasePrint {
  tables: TableFingerprint[];
  columns: string[];
}

const PG_COLUMNS = `SELECT table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS c
  FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`;
const MYSQL_COLUMNS = `SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable) AS c
  FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY 1`;

export async function fingerprintDatabase(engine: 'postgres' | 'mysql' | 'sqlite', url: string, root: string): Promise<DatabasePrint> {
  if (engine === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(sqlitePath(url, root), { readonly: true, fileMustExist: true });
    try {
      const columns = sqliteTables(db).flatMap((t) => (db.pragma(`table_info("${t.replace(/"/g, '""')}")`) as { name: string; type: string; notnull: number }[]).map((c) => `${t}.${c.name} ${c.type} ${c.notnull ? 'NO' : 'YES'}`));
      return { tables: sqliteFingerprints(db), columns: columns.sort() };
    } finally {
      db.close();
    }
  }
  const sql = await openSql(engine, url, root);
  try {
    const tables = engine === 'postgres' ? await postgresFingerprints(sql) : await mysqlFingerprints(sql);
    const columns = (await sql.query<{ c: string }>(engine === 'postgres' ? PG_COLUMNS : MYSQL_COLUMNS)).map((r) => r.c);
    return { tables, columns };
  } finally {
    await sql.close();
  }
}
