import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../src/config/schema/databases.js';
import { createBackup, restoreBackup, verifyBackup, type CreatedBackup } from '../../../src/databases/backup.js';
import { openSql } from '../../../src/databases/connection.js';
import { mysqlFingerprints } from '../../../src/databases/mysql/fingerprints.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { processRunner, type Runner } from '../../../src/runtime/process.js';
import { folderStorage } from '../../support/folder-storage.js';
import { createMysqlTestDatabase, MYSQL_ADMIN_URL } from '../../support/mysql.js';
import type { TestDatabase } from '../../support/pg.js';
import { scratchTracker } from '../../support/scratch-tracking.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

const KEY = 'a backup passphrase of at least thirty-two characters';
const PASSWORD = 'S3cret-Pw-4c5d6e';
const clock = new FakeClock('2026-12-03T11:00:00Z');

const FIXTURE = `
  CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100), bio TEXT, avatar VARBINARY(16), born DATE) CHARACTER SET utf8mb4;
  CREATE TABLE events (kind VARCHAR(10), payload TEXT) CHARACTER SET utf8mb4;
  CREATE TABLE audit (n INT);
  INSERT INTO users (name, bio, avatar, born) VALUES ('Zoë', NULL, 0x00FF10, '1990-01-02'), ('日本語 🚀', '', NULL, NULL), ('plain', 'tab\\tquote"', X'', '2000-02-29');
  INSERT INTO events VALUES ('a', NULL), ('a', NULL), ('B', 'x'), ('b', 'x');
  CREATE TRIGGER users_audit AFTER INSERT ON users FOR EACH ROW INSERT INTO audit VALUES (NEW.id);
`;

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, multipleStatements: true });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let src: TestDatabase;
let dir: TempDir;
const extra: TestDatabase[] = [];
let user: string;
beforeEach(async () => {
  src = await createMysqlTestDatabase();
  dir = await makeTempDir();
  user = `sg_u_${randomBytes(4).toString('hex')}`;
  await admin(async (c) => {
    await c.query(`USE \`${src.name}\`; ${FIXTURE}`);
    await c.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${PASSWORD}'; GRANT ALL ON \`${src.name}\`.* TO '${user}'@'%'; GRANT ALL ON \`shipgate\\_verify\\_%\`.* TO '${user}'@'%'`);
  });
});
afterEach(async () => {
  await Promise.all([src.drop(), dir.cleanup(), ...extra.splice(0).map((d) => d.drop()), admin((c) => c.query(`DROP USER IF EXISTS '${user}'@'%'`))]);
});

/** The test database, reached as the user with a password. */
function userUrl(name = src.name): string {
  const u = new URL(MYSQL_ADMIN_URL);
  u.username = user;
  u.password = PASSWORD;
  u.pathname = `/${name}`;
  return u.toString();
}

async function fingerprintsOf(url: string) {
  const c = await openSql('mysql', url);
  try {
    return await mysqlFingerprints(c);
  } finally {
    await c.close();
  }
}

const scratchDatabases = () => admin(async (c) => ((await c.query("SHOW DATABASES LIKE 'shipgate\\_verify\\_%'"))[0] as Record<string, string>[]).map((r) => Object.values(r)[0]));
/** Scratch databases the proofs restored into (the client's last argument), to check they are gone afterwards. */
const { run: tracking, expectDropped: expectScratchesDropped } = scratchTracker((req) => {
  const target = req.argv[req.argv.length - 1]!;
  return req.stdinFile !== undefined && target.startsWith('shipgate_verify_') ? target : null;
}, async () => (await scratchDatabases()).filter((n): n is string => n !== undefined));

const config = (url = userUrl(), backup: Record<string, unknown> = { encryption: { key: KEY } }) => DatabaseSchema.parse({ type: 'mysql', url, backup });
const storage = () => folderStorage(join(dir.path, 'backups'));
const backup = (db = config(), run: Runner = tracking) => createBackup({ db, name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock, run });
const verify = (b: CreatedBackup, db = config()) => verifyBackup({ db, storage: storage(), backup: b, fingerprints: b.fingerprints, fingerprintVersion: b.fingerprintVersion, method: 'restore', root: dir.path, clock, run: tracking });

describe('MySQL/MariaDB backups', () => {
  it('round-trips: dump, proof ok in a scratch database, and a restore into a fresh database gives the same fingerprints', async () => {
    const b = await backup();
    expect(b.verify).toMatchObject({ method: 'restore', ok: true, tables: 3, rows: 7 });
    expect(b.key).toMatch(/\.sql\.gz\.enc$/);
    expect(b.fingerprints).toEqual(await fingerprintsOf(userUrl()));
    const target = await createMysqlTestDatabase();
    extra.push(target);
    await admin((c) => c.query(`GRANT ALL ON \`${target.name}\`.* TO '${user}'@'%'`));
    await restoreBackup({ db: config(), storage: storage(), backup: b, root: dir.path, clock, targetUrl: userUrl(target.name) });
    expect(await fingerprintsOf(userUrl(target.name))).toEqual(b.fingerprints);
    await expectScratchesDropped();
  });

  it('a write between the fingerprint snapshot and the dump fails the proof (the safe side) and leaves no archive', async () => {
    const writing: Runner = (req) =>
      tracking({
        ...req,
        onSpawn: req.argv[0]?.endsWith('dump') ? async () => void (await admin((c) => c.query(`INSERT INTO \`${src.name}\`.events VALUES ('late', NULL)`))) : undefined,
      });
    await expect(backup(config(), writing)).rejects.toThrow(/^backup .* failed its proof \(restore\): table events has 5 rows in the restored copy and 4 in the source; the archive was deleted$/);
    expect(await storage().list()).toEqual([]);
    await expectScratchesDropped();
  });

  it('list proof finds every CREATE TABLE in the dump', async () => {
    const b = await backup(config(userUrl(), { verify: 'list' }));
    expect(b.verify).toMatchObject({ method: 'list', ok: true, tables: 3 });
  });

  it('keeps the password out of mariadb-dump argv (it goes by MYSQL_PWD) and out of error texts', async () => {
    const seen: { cmdline: string; environ: string }[] = [];
    const watching: Runner = (req) =>
      processRunner({ ...req, onSpawn: req.stdinFile ? undefined : async (g) => void seen.push({ cmdline: readFileSync(`/proc/${g.pgid}/cmdline`, 'utf8'), environ: readFileSync(`/proc/${g.pgid}/environ`, 'utf8') }) });
    await backup(config(), watching);
    const dump = seen.find((s) => s.cmdline.includes('mariadb-dump'));
    expect(dump?.cmdline.split('\0')).toEqual(expect.arrayContaining(['mariadb-dump', '--host', '127.0.0.1', '--user', user, src.name]));
    expect(dump?.environ).toContain(`MYSQL_PWD=${PASSWORD}`);
    for (const s of seen) expect(s.cmdline).not.toContain(PASSWORD);
    const wrong = new URL(userUrl());
    wrong.password = `${PASSWORD}x`;
    const err = await backup(config(wrong.toString())).catch((e: Error) => e);
    expect(String(err)).toMatch(new RegExp(`could not connect to MySQL database ${src.name} at 127\\.0\\.0\\.1:3306 for the backup: Access denied`));
    expect(String(err)).not.toContain(PASSWORD);
  });

  describe('corrupted archives are all caught by the proof, and the scratch database is dropped after each', () => {
    it('a truncated archive', async () => {
      const b = await backup();
      await truncate(storage().path(b.key), b.size - 1);
      await expect(verify(b)).rejects.toThrow(/^archive .*\.sql\.gz\.enc is damaged: its sha256 is/);
    });

    it('a table missing from the dump', async () => {
      const full = await backup();
      await admin((c) => c.query(`DROP TABLE \`${src.name}\`.events`));
      const partial = await backup();
      await expect(verify({ ...partial, fingerprints: full.fingerprints })).rejects.toThrow(/^backup .* failed its proof \(restore\): table events is missing from the restored copy$/);
      await expectScratchesDropped();
    });

    it('a dump the client refuses: the scratch database is dropped after the failure too', async () => {
      const b = await backup(config(userUrl(), { compression: 'none' }));
      // Without TRIGGER rights on the scratch the restore fails halfway; the proof must say so and clean up.
      await admin((c) => c.query(`REVOKE TRIGGER ON \`shipgate\\_verify\\_%\`.* FROM '${user}'@'%'`));
      await expect(verify(b)).rejects.toThrow(/^mariadb restore into database shipgate_verify_\w+ failed \(exited with code 1\): .*TRIGGER command denied/);
      await expectScratchesDropped();
    });

    it('a wrong encryption key', async () => {
      const b = await backup();
      await expect(verify(b, config(userUrl(), { encryption: { key: 'a different passphrase, also 32 characters long' } }))).rejects.toThrow(/could not be decoded: the encryption key does not match this archive/);
    });
  });
});
