/**
 * PostgreSQL through a small pg.Pool. Loaded only when the store URL is
 * `postgres://` or `postgresql://`.
 */
import pg from 'pg';
import { postgresDialect, toNumberedPlaceholders } from './dialect.js';
import type { SqlDriver, SqlExecutor, SqlParam, SqlRow } from './driver.js';

/** One CLI process rarely needs more than a couple of connections. */
export const PG_POOL_MAX = 4;

type Queryable = Pick<pg.Pool, 'query'>;

/** Runs statements on a pool (each on any free connection) or on one checked-out client. */
class PgExecutor implements SqlExecutor {
  constructor(private readonly target: Queryable) {}

  async all(sql: string, params: readonly SqlParam[] = []): Promise<SqlRow[]> {
    const result = await this.target.query<SqlRow>(toNumberedPlaceholders(sql), [...params]);
    return result.rows;
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    const result = await this.target.query(toNumberedPlaceholders(sql), [...params]);
    return result.rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.target.query(sql);
  }
}

class PgDriver extends PgExecutor implements SqlDriver {
  readonly dialect = postgresDialect;
  private ended = false;

  constructor(private readonly pool: pg.Pool) {
    super(pool);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, opts: { durable?: boolean } = {}): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // The commit does not wait for the WAL flush; the server still applies it whole or not at all.
      if (opts.durable === false) await client.query('SET LOCAL synchronous_commit = off');
      const result = await fn(new PgExecutor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => (broken = rollbackErr));
      throw err;
    } finally {
      // A client whose rollback failed is in an unknown state: destroy it.
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.pool.end();
  }
}

export function openPgDriver(url: string): SqlDriver {
  const pool = new pg.Pool({ connectionString: url, max: PG_POOL_MAX, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
  // An idle connection dropped by the server: the next query reconnects or reports it.
  pool.on('error', () => undefined);
  return new PgDriver(pool);
}
