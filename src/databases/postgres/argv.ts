import { BackupError } from '../errors.js';

/**
 * argv of pg_dump and pg_restore. The connection goes as separate --host,
 * --port, --username and --dbname arguments parsed from the URL, and the
 * password only in the environment (PGPASSWORD): never in argv, which every
 * user of the host can read in the process list.
 */

export const DEFAULT_PG_PORT = '5432';

export interface PgConnection {
  host: string;
  port: string;
  user: string;
  database: string;
}

export interface ParsedPgUrl {
  conn: PgConnection;
  /** Environment for the tools: PGPASSWORD, PGSSLMODE. */
  env: Record<string, string>;
  password: string | null;
}

/** Splits a `postgres://` URL; errors name the part that is wrong, never the URL (it may hold a password). */
export function parsePostgresUrl(url: string): ParsedPgUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BackupError('the database url is not a valid postgres:// URL');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new BackupError(`the database url must start with postgres:// (got ${u.protocol}//)`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  // pg tools read a --dbname holding "=" or a URI prefix as a connection string.
  if (database === '' || database.includes('=') || database.includes('://')) throw new BackupError('the database url must name a database (a plain name, after the last "/")');
  const password = u.password === '' ? null : decodeURIComponent(u.password);
  const env: Record<string, string> = {};
  if (password !== null) env.PGPASSWORD = password;
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env.PGSSLMODE = sslmode;
  const user = decodeURIComponent(u.username) || 'postgres';
  return { conn: { host: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost', port: u.port || DEFAULT_PG_PORT, user, database }, env, password };
}

/** The same connection with another database (a scratch database on the same server). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

function connArgs(c: PgConnection): string[] {
  return ['--host', c.host, '--port', c.port, '--username', c.user, '--dbname', c.database];
}

/** A custom-format dump of the exported snapshot `snapshot` to stdout (no --file); --no-password: fail rather than prompt. */
export function pgDumpArgv(c: PgConnection, snapshot: string): string[] {
  return ['pg_dump', '--format=custom', `--snapshot=${snapshot}`, '--no-password', ...connArgs(c)];
}

/**
 * Restores `file` in one transaction, stopping at the first error; objects are
 * owned by the restoring user. `clean` drops what the dump recreates first.
 */
export function pgRestoreArgv(c: PgConnection, file: string, opts: { clean: boolean }): string[] {
  const clean = opts.clean ? ['--clean', '--if-exists'] : [];
  return ['pg_restore', '--no-owner', '--no-acl', '--single-transaction', '--exit-on-error', '--no-password', ...clean, ...connArgs(c), file];
}

/** The dump as an SQL script in `script` (no connection: the restore over a database runs it with a prologue, below). */
export function pgScriptArgv(file: string, script: string): string[] {
  return ['pg_restore', '--no-owner', '--no-acl', '--file', script, file];
}

/** Runs an SQL file in one transaction, stopping at the first error (nothing of it stays then). */
export function psqlFileArgv(c: PgConnection, script: string): string[] {
  return ['psql', '--no-psqlrc', '--quiet', '--no-password', '--single-transaction', '--set', 'ON_ERROR_STOP=1', ...connArgs(c), '--file', script];
}

/**
 * Before a restore over a database: every user schema goes, so the database
 * becomes exactly the backup (pg_restore --clean drops only what the dump holds:
 * a table a migration created would stay). `public` is created again, as the
 * dump assumes it exists.
 */
export function dropSchemasSql(schemas: readonly string[]): string {
  const quote = (n: string): string => `"${n.replace(/"/g, '""')}"`;
  const drops = schemas.map((s) => `DROP SCHEMA IF EXISTS ${quote(s)} CASCADE;`);
  return [...drops, 'CREATE SCHEMA IF NOT EXISTS public;', 'GRANT USAGE ON SCHEMA public TO PUBLIC;', ''].join('\n');
}

/** Prints the dump's table of contents; reads only the file. */
export function pgListArgv(file: string): string[] {
  return ['pg_restore', '--list', file];
}

/** Tables whose data the dump holds (`schema.table`), from `pg_restore --list` lines like `3345; 0 16386 TABLE DATA public users postgres`. */
export function tablesOfList(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (.+) \S+$/.exec(line);
    if (m) out.push(`${m[1]}.${m[2]}`);
  }
  return out.sort();
}
