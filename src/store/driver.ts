/**
 * The tiny SQL layer under {@link SqlStore}: one executor interface that both
 * SQLite (better-sqlite3) and PostgreSQL (pg) implement. SQL is written once with
 * `?` placeholders; the PostgreSQL driver rewrites them to `$1, $2...`.
 */
import type { Dialect } from './dialect.js';

export type SqlParam = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlExecutor {
  /** Rows of a SELECT, or of an INSERT/UPDATE ... RETURNING. */
  all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]>;
  /** Runs one data-changing statement; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>;
  /** Runs one statement without parameters (DDL). */
  exec(sql: string): Promise<void>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /**
   * Runs `fn` in one write transaction (SQLite: `BEGIN IMMEDIATE`), committing
   * when it resolves and rolling back when it throws. Inside, use only `tx`.
   * `durable: false` commits without waiting for the disk (a write whose loss
   * after a crash costs nothing: the next durable commit, or a checkpoint,
   * makes it durable; a crash before loses it whole, never half of it).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts?: { durable?: boolean }): Promise<T>;
  /** Releases every connection. Safe to call twice. */
  close(): Promise<void>;
}
