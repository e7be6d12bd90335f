/**
 * SQLite through better-sqlite3 (synchronous; wrapped in promises to fit
 * {@link SqlDriver}). Loaded only when the store URL is `sqlite:`.
 */
import { dirname, join } from 'node:path';
import { closeSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { ensurePrivateDir, openPrivate, tightenFile } from '../runtime/private-files.js';
import { sqliteDialect } from './dialect.js';
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from './driver.js';

/** better-sqlite3 is CommonJS: `require` skips the ESM wrapper's export scan. */
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

export const SQLITE_BUSY_TIMEOUT_MS = 10_000;
export const MEMORY = ':memory:';

/**
 * Serializes write transactions on one database file within this process. A
 * transaction spans `await`s; another connection of this process writing
 * meanwhile would block the event loop in SQLite's busy handler and never let
 * the transaction finish. Other processes just wait in the busy handler.
 */
class FileGate {
  private tail: Promise<unknown> = Promise.resolve();

  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once no transaction of this process holds the file. */
  idle(): Promise<unknown> {
    return this.tail;
  }
}

const gates = new Map<string, FileGate>();

function gateFor(path: string): FileGate {
  if (path === MEMORY) return new FileGate();
  let gate = gates.get(path);
  if (!gate) gates.set(path, (gate = new FileGate()));
  return gate;
}

/** Statements of one connection, prepared once. */
class Statements implements SqlExecutor {
  private cache = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  async all(sql: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    return this.prepare(sql).all(params) as SqlRow[];
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.prepare(sql).run(params).changes;
  }

  async exec(sql: string): Promise<void> {
    this.db.exec(sql);
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) this.cache.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }
}

class SqliteDriver implements SqlDriver {
  readonly dialect = sqliteDialect;
  private readonly statements: Statements;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly gate: FileGate,
  ) {
    this.statements = new Statements(db);
  }

  async all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]> {
    await this.gate.idle();
    return this.statements.all(sql, params);
  }

  async run(sql: string, params?: readonly SqlParam[]): Promise<number> {
    await this.gate.idle();
    return this.statements.run(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.gate.idle();
    return this.statements.exec(sql);
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts: { durable?: boolean } = {}): Promise<T> {
    if (opts.durable === false) return this.gate.exclusive(() => this.relaxed(() => this.inTransaction(fn)));
    return this.gate.exclusive(() => this.inTransaction(fn));
  }

  /** `fn` with this connection's commits not synced to disk (WAL: the commit is still atomic). */
  private async relaxed<T>(fn: () => Promise<T>): Promise<T> {
    this.db.pragma('synchronous = OFF');
    try {
      return await fn();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private async inTransaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = await fn(this.statements);
      this.db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Opens (creating it and its directory if needed) the database file at the absolute `path`, or `:memory:`. */
export function openSqliteDriver(path: string): SqlDriver {
  if (path !== MEMORY) preparePrivateFile(path);
  const db = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS, nativeBinding: nativeBindingPath() });
  try {
    db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteDriver(db, gateFor(path));
}

/**
 * The database holds the journal: 0600 whatever the umask. SQLite gives its -wal
 * and -shm files the database file's mode when it creates them; ones an older
 * shipgate left are tightened here. The folder is created 0700, but an existing
 * one is left as it is (a `sqlite:` URL may name any folder of the user's).
 */
function preparePrivateFile(path: string): void {
  ensurePrivateDir(dirname(path), { tighten: false });
  // An existing database is only chmod-ed, never opened here: closing a descriptor
  // would drop the POSIX locks another connection of this process holds on it.
  if (existsSync(path)) tightenFile(path);
  else closeSync(openPrivate(path, 'a'));
  for (const suffix of ['-wal', '-shm']) tightenFile(`${path}${suffix}`);
}

/**
 * The compiled addon's path, so better-sqlite3 skips the `bindings` package's
 * search over candidate folders (a few ms of every start-up). Undefined -> default search.
 */
function nativeBindingPath(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
    const addon = join(dirname(pkg), 'build', 'Release', 'better_sqlite3.node');
    return existsSync(addon) ? addon : undefined;
  } catch {
    return undefined;
  }
}
