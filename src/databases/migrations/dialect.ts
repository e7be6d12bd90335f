import { createHash } from 'node:crypto';
import type { SqlClient } from '../contract.js';
import { errorMessage } from '../../errors.js';
import { MigrationError } from './errors.js';
import { splitStatements } from './statements.js';

/**
 * How each engine keeps concurrent runners apart and a migration whole.
 *
 * - PostgreSQL: a session advisory lock for the whole run; one transaction per
 *   migration (DDL is transactional), with its history row.
 * - MySQL/MariaDB: GET_LOCK on the same connection for the whole run; DDL
 *   commits at once, so a migration runs statement by statement and a failure
 *   names the statement and what ran before it.
 * - SQLite: no session lock exists; each migration runs in BEGIN IMMEDIATE (the
 *   database's write lock), and the runner re-reads the history inside it.
 */

/** How long a runner waits for another runner's lock before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;

export interface Dialect {
  /** Runs `fn` holding the run-wide lock (a no-op on SQLite, where `atomic` locks). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` as one transaction where the engine can (a no-op on MySQL). */
  atomic<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs a migration file's SQL; `file` names it in errors. */
  runFile(file: string, sql: string): Promise<void>;
}

export function dialectFor(client: SqlClient, table: string, lockTimeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Dialect {
  if (client.type === 'postgres') return { exclusive: (fn) => pgLock(client, table, lockTimeoutMs, fn), atomic: (fn) => transaction(client, 'BEGIN', fn), runFile: (file, sql) => runWhole(client, file, sql) };
  if (client.type === 'mysql') return { exclusive: (fn) => mysqlLock(client, table, lockTimeoutMs, fn), atomic: (fn) => fn(), runFile: (file, sql) => runStatements(client, file, sql) };
  const busy = (err: unknown): MigrationError => lockError(table, lockTimeoutMs, err);
  return { exclusive: (fn) => sqliteBusyTimeout(client, lockTimeoutMs, fn), atomic: (fn) => transaction(client, 'BEGIN IMMEDIATE', fn, busy), runFile: (file, sql) => runWhole(client, file, sql) };
}

/** A stable signed 64-bit advisory lock key for the history table's name. */
export function advisoryKey(table: string): string {
  return createHash('sha256').update(`shipgate:migrations:${table}`).digest().readBigInt64BE(0).toString();
}

async function pgLock<T>(client: SqlClient, table: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const key = advisoryKey(table);
  await client.exec(`SET lock_timeout = ${Math.max(1, Math.ceil(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
  } catch (err) {
    throw lockError(table, timeoutMs, err);
  } finally {
    await client.exec('RESET lock_timeout');
  }
  return runThenRelease(fn, () => client.query('SELECT pg_advisory_unlock($1::bigint)', [key]));
}

/** GET_LOCK names are server-wide and at most 64 characters: the database and table, hashed. */
export const MYSQL_LOCK_NAME = "CONCAT('shipgate:', LEFT(SHA2(CONCAT(DATABASE(), '.', ?), 256), 40))";

async function mysqlLock<T>(client: SqlClient, table: string, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const [row] = await client.query<{ got: number | null }>(`SELECT GET_LOCK(${MYSQL_LOCK_NAME}, ?) AS got`, [table, seconds]);
  if (row?.got !== 1) throw lockError(table, timeoutMs, null);
  return runThenRelease(fn, () => client.query(`SELECT RELEASE_LOCK(${MYSQL_LOCK_NAME})`, [table]));
}

/** SQLite waits for the write lock as long as a lock on the other engines would. */
async function sqliteBusyTimeout<T>(client: SqlClient, timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  await client.exec(`PRAGMA busy_timeout = ${Math.max(1, Math.ceil(timeoutMs))}`);
  return fn();
}

function lockError(table: string, timeoutMs: number, cause: unknown): MigrationError {
  const why = cause === null ? '' : ` (${errorMessage(cause)})`;
  const waited = timeoutMs < 1000 ? `${timeoutMs}ms` : `${Math.round(timeoutMs / 1000)}s`;
  return new MigrationError(`another migration run held the lock of ${table} for more than ${waited}${why}; try again when it is done`, { cause });
}

/**
 * Releases after `fn`, also when it fails. A failed release after a failed `fn`
 * is dropped in favour of `fn`'s error: the lock is the session's, and the
 * caller closes the connection, which ends it.
 */
async function runThenRelease<T>(fn: () => Promise<T>, release: () => Promise<unknown>): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await release().catch(() => undefined);
    throw err;
  }
  await release();
  return result;
}

/** `beginFailed` turns a failed BEGIN into the error to throw (SQLite: the write lock stayed busy). */
async function transaction<T>(client: SqlClient, begin: string, fn: () => Promise<T>, beginFailed: (err: unknown) => Error = (err) => err as Error): Promise<T> {
  await client.exec(begin).catch((err: unknown) => Promise.reject(beginFailed(err)));
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    await client.exec('ROLLBACK').catch(() => undefined);
    throw err;
  }
  await client.exec('COMMIT');
  return result;
}

async function runWhole(client: SqlClient, file: string, sql: string): Promise<void> {
  try {
    await client.exec(sql);
  } catch (err) {
    throw new MigrationError(`${file} failed: ${errorMessage(err)}; nothing of it was applied (rolled back)`, { cause: err });
  }
}

/** MySQL/MariaDB: one statement at a time, so a failure can say exactly what is in the database now. */
async function runStatements(client: SqlClient, file: string, sql: string): Promise<void> {
  const statements = splitStatements(sql, 'mysql');
  for (const statement of statements) {
    try {
      await client.exec(statement.text);
    } catch (err) {
      throw partialFailure(file, statement.index, statement.text, err);
    }
  }
}

/** Thrown when a MySQL/MariaDB migration stopped part way. */
export class PartialMigrationError extends MigrationError {
  constructor(
    message: string,
    /** Statements that ran before the failed one (they stay applied). */
    readonly appliedStatements: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function partialFailure(file: string, index: number, text: string, err: unknown): PartialMigrationError {
  const firstLine = text.split('\n')[0]!.trim();
  const ran = index === 2 ? 'statement 1 before it ran and stays' : `statements 1-${index - 1} before it ran and stay`;
  const before = index === 1 ? 'no statement before it ran' : `${ran} applied (MySQL/MariaDB commits DDL at once)`;
  const recorded = file.endsWith('.down.sql') ? 'the migration stays recorded as applied' : 'the migration is not recorded as applied';
  const message = `${file} statement ${index} failed (${firstLine}): ${errorMessage(err)}; ${before}; ${recorded}: repair the database by hand (or restore the backup) before running it again`;
  return new PartialMigrationError(message, index - 1, { cause: err });
}
