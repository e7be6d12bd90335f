import { cannotExecute } from '../../runtime/process.js';
import { BackupError } from '../errors.js';

/**
 * argv of mariadb-dump and the mariadb client (mysqldump and mysql where the
 * MariaDB names are absent). The password goes only in the environment
 * (MYSQL_PWD), never in argv.
 */

export const DEFAULT_MYSQL_PORT = '3306';

export interface MysqlConnection {
  host: string;
  port: string;
  user: string;
  database: string;
}

export interface ParsedMysqlUrl {
  conn: MysqlConnection;
  env: Record<string, string>;
  password: string | null;
}

/** Splits a `mysql://` or `mariadb://` URL; errors never quote the URL (it may hold a password). */
export function parseMysqlUrl(url: string): ParsedMysqlUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BackupError('the database url is not a valid mysql:// URL');
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new BackupError(`the database url must start with mysql:// or mariadb:// (got ${u.protocol}//)`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/') || database.startsWith('-')) throw new BackupError('the database url must name a database (a plain name, after the last "/")');
  const password = u.password === '' ? null : decodeURIComponent(u.password);
  const env: Record<string, string> = password === null ? {} : { MYSQL_PWD: password };
  const conn = { host: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')) || 'localhost', port: u.port || DEFAULT_MYSQL_PORT, user: decodeURIComponent(u.username) || 'root', database };
  return { conn, env, password };
}

/** The first of `names` on PATH. */
export function firstExecutable(names: readonly [string, ...string[]], pathVar = process.env.PATH): string {
  return names.find((n) => cannotExecute(n, undefined, pathVar) === null) ?? names[0];
}

function connArgs(c: MysqlConnection): string[] {
  return ['--host', c.host, '--port', c.port, '--user', c.user];
}

/** A dump of one database (no CREATE DATABASE or USE: it restores into any database) from a consistent snapshot, to stdout. */
export function mysqlDumpArgv(bin: string, c: MysqlConnection): string[] {
  return [bin, '--single-transaction', '--routines', '--triggers', '--hex-blob', '--default-character-set=utf8mb4', ...connArgs(c), c.database];
}

/** The client that reads a dump on stdin into `c.database`. */
export function mysqlClientArgv(bin: string, c: MysqlConnection): string[] {
  return [bin, '--default-character-set=utf8mb4', '--binary-mode', ...connArgs(c), c.database];
}

/** Tables created by a dump, from its `CREATE TABLE \`name\`` lines. */
export function tablesOfDump(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const m = /^CREATE TABLE `((?:[^`]|``)+)`/.exec(line);
    if (m) out.push(m[1]!.replace(/``/g, '`'));
  }
  return out.sort();
}
