import { isAbsolute, resolve } from 'node:path';
import type { SqlClient } from './contract.js';

/**
 * One SQL connection per call, for PostgreSQL (`pg`), MySQL/MariaDB (`mysql2`)
 * and SQLite (`better-sqlite3`), behind the small SqlClient interface. Drivers
 * load on first use, so commands that touch no database do not pay for them.
 */

/** `sqlite:PATH` (relative to `root`) to a file path. */
export function sqlitePath(url: string, root: string): string {
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  return isAbsolute(path) ? path : resolve(root, path);
}

export async function openSql(type: SqlClient['type'], url: string, root = process.cwd()): Promise<SqlClient> {
  if (type === 'postgres') return openPostgres(url);
  if (type === 'mysql') return openMysql(url);
  return openSqlite(sqlitePath(url, root));
}

async function openPostgres(url: string): Promise<SqlClient> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  // An error on an idle connection (server restart) must not crash the process: the next query fails instead.
  client.on('error', () => undefined);
  await client.connect();
  return {
    type: 'postgres',
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as T[],
    exec: async (sql) => void (await client.query(sql)),
    close: () => client.end(),
  };
}

async function openMysql(url: string): Promise<SqlClient> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri: url.replace(/^mariadb:/, 'mysql:'), multipleStatements: true });
  conn.on('error', () => undefined);
  return {
    type: 'mysql',
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await conn.query(sql, params as unknown[]))[0] as T[],
    exec: async (sql) => void (await conn.query(sql)),
    close: () => conn.end(),
  };
}

async function openSqlite(path: string): Promise<SqlClient> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(path, { timeout: 30_000 });
  return {
    type: 'sqlite',
    query: async <T>(sql: string, params: readonly unknown[] = []) => {
      const stmt = db.prepare(sql);
      if (stmt.reader) return stmt.all(...(params as unknown[])) as T[];
      stmt.run(...(params as unknown[]));
      return [];
    },
    exec: async (sql) => void db.exec(sql),
    close: async () => void db.close(),
  };
}
