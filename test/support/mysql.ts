/**
 * A throwaway MariaDB/MySQL database per test. MariaDB is required, not optional:
 * when it is down, tests fail with a message saying how to start it.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { TestDatabase } from './pg.js';

/** The server tests use (root, no password). Override with SHIPGATE_TEST_MYSQL_URL. */
export const MYSQL_ADMIN_URL = process.env.SHIPGATE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/mysql';

async function withAdmin<T>(fn: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 5000 });
  } catch (err) {
    throw new Error(`MariaDB is required by the tests but is not reachable at ${MYSQL_ADMIN_URL} (${(err as Error).message}); start it (.ci/run does)`, { cause: err });
  }
  try {
    return await fn(conn);
  } finally {
    await conn.end();
  }
}

export async function createMysqlTestDatabase(): Promise<TestDatabase> {
  const name = `sg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE \`${name}\``));
  const url = new URL(MYSQL_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => withAdmin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS \`${name}\``))) };
}
