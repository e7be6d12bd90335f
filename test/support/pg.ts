/**
 * A throwaway PostgreSQL database per test. PostgreSQL is required, not optional:
 * when it is down, tests fail with a message saying how to start it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use (trust auth). Override with SHIPGATE_TEST_PG_URL. */
export const ADMIN_URL = process.env.SHIPGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** URL of the new, empty database. */
  url: string;
  name: string;
  /** Terminates leftover connections and drops the database. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new Error(`PostgreSQL is required by the tests but is not reachable at ${ADMIN_URL} (${(err as Error).message}); start it (.ci/run does)`, { cause: err });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Whether the test server answers. Not for skipping tests: PostgreSQL is required. */
export async function isPostgresUp(): Promise<boolean> {
  return withAdmin(async () => true).catch(() => false);
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `sg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => dropDatabase(name) };
}

async function dropDatabase(name: string): Promise<void> {
  await withAdmin(async (c) => {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    // FORCE also ends a connection that slipped in after the terminate.
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}
