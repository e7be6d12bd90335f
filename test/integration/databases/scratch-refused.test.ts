/** `verify: restore` needs a scratch database; a user who may not create one gets an error that says what to do. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../src/config/schema/databases.js';
import { createBackup } from '../../../src/databases/backup.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { folderStorage } from '../../support/folder-storage.js';
import { createMysqlTestDatabase, MYSQL_ADMIN_URL } from '../../support/mysql.js';
import { ADMIN_URL, createTestDatabase } from '../../support/pg.js';
import { makeTempDir } from '../../support/tmp.js';

const PASSWORD = 'S3cret-Pw-7a8b9c';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function backupAs(type: 'postgres' | 'mysql', url: string): Promise<Error> {
  const dir = await makeTempDir();
  cleanups.push(dir.cleanup);
  const db = DatabaseSchema.parse({ type, url });
  const clock = new FakeClock('2026-12-03T11:00:00Z');
  return createBackup({ db, name: 'main', storage: folderStorage(join(dir.path, 'b')), key: 'app/prod/main', root: dir.path, clock }).then(
    () => new Error('the backup was proven'),
    (err: Error) => err,
  );
}

function asUser(admin: string, db: string, user: string): string {
  const u = new URL(admin);
  Object.assign(u, { username: user, password: PASSWORD, pathname: `/${db}` });
  return u.toString();
}

const ADVICE = 'give the user the right to create databases, point backup.verifyUrl at a server where it may, or set backup.verify: list';

describe('a user who may not create the scratch database of the proof', () => {
  it('PostgreSQL (no CREATEDB)', async () => {
    const src = await createTestDatabase();
    const user = `sg_u_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${user} LOGIN PASSWORD '${PASSWORD}'; ALTER DATABASE ${src.name} OWNER TO ${user}`).finally(() => admin.end());
    cleanups.push(async () => {
      await src.drop();
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP ROLE IF EXISTS ${user}`).finally(() => c.end());
    });
    const err = await backupAs('postgres', asUser(ADMIN_URL, src.name, user));
    expect(err.message).toMatch(new RegExp(`^could not create the scratch database shipgate_verify_[0-9a-f]{8}_\\d+_(?:[0-9a-f]{8}|none)_[0-9a-f]{8} at 127\\.0\\.0\\.1:5432 that proves the backup \\(verify: restore\\): permission denied to create database; ${ADVICE}; the archive was deleted$`));
    expect(err.message).not.toContain(PASSWORD);
  });

  it('MariaDB (no rights on shipgate_verify_*)', async () => {
    const src = await createMysqlTestDatabase();
    const user = `sg_u_${randomBytes(4).toString('hex')}`;
    const admin = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, multipleStatements: true });
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'; GRANT ALL ON \`${src.name}\`.* TO '${user}'@'%'`).finally(() => admin.end());
    cleanups.push(async () => {
      await src.drop();
      const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
      await c.query(`DROP USER IF EXISTS '${user}'@'%'`).finally(() => c.end());
    });
    const err = await backupAs('mysql', asUser(MYSQL_ADMIN_URL, src.name, user));
    expect(err.message).toMatch(new RegExp(`^could not create the scratch database shipgate_verify_[0-9a-f]{8}_\\d+_(?:[0-9a-f]{8}|none)_[0-9a-f]{8} at 127\\.0\\.0\\.1:3306 that proves the backup \\(verify: restore\\): Access denied for user '${user}'@'[^']+' to database 'shipgate_verify_[0-9a-f]{8}_\\d+_(?:[0-9a-f]{8}|none)_[0-9a-f]{8}'; ${ADVICE}; the archive was deleted$`));
    expect(err.message).not.toContain(PASSWORD);
  });
});
