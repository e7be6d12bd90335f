// @ts-check
/**
 * A throwaway PostgreSQL database for a benchmark (`sg_bench_<random>`), dropped
 * at clean-up. PostgreSQL is optional for benchmarks: when the server does not
 * answer, the caller gets the reason and skips its PostgreSQL rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { onCleanup } from './harness.js';

/** The server (trust auth). Override with SHIPGATE_BENCH_PG_URL (read here only; never passed to the CLI). */
export const PG_ADMIN_URL = process.env.SHIPGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CONNECT_TIMEOUT_MS = 3000;

/**
 * Runs `fn` with a client of the server's `postgres` database, or of `database` when named.
 * @template T
 * @param {(client: pg.Client) => Promise<T>} fn
 * @param {string} [database]
 * @returns {Promise<T>}
 */
export async function withAdmin(fn, database) {
  const client = new pg.Client({ connectionString: database ? urlOf(database) : PG_ADMIN_URL, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Creates `sg_bench_<random>` and registers its drop.
 * @returns {Promise<{ url: string, name: string } | { skipped: string }>} the store URL, or why PostgreSQL is unavailable
 */
export async function createBenchDatabase() {
  const name = `sg_bench_${randomBytes(4).toString('hex')}`;
  try {
    await withAdmin((c) => c.query(`CREATE DATABASE ${name}`));
  } catch (err) {
    const e = /** @type {Error & { code?: string }} */ (err);
    return { skipped: `PostgreSQL not reachable at ${maskPassword(PG_ADMIN_URL)} (${e.message || e.code || 'connection failed'})` };
  }
  onCleanup(() => dropDatabase(name));
  return { url: urlOf(name), name };
}

/** The server's URL with `name` as its database. @param {string} name */
function urlOf(name) {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops `name` (if it exists), ending its sessions first. @param {string} name */
export async function dropDatabase(name) {
  await withAdmin(async (c) => {
    await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
    // WITH (FORCE) needs PostgreSQL 13+; older servers get the plain form.
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => c.query(`DROP DATABASE IF EXISTS ${name}`));
  });
}

function maskPassword(/** @type {string} */ url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}
