import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../src/config/schema/databases.js';
import { createBackup, verifyBackup, type CreatedBackup } from '../../../src/databases/backup.js';
import { openSql } from '../../../src/databases/connection.js';
import type { SqlClient } from '../../../src/databases/contract.js';
import { fingerprintDatabase, postgresFingerprints } from '../../../src/databases/postgres/fingerprints.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { folderStorage } from '../../support/folder-storage.js';
import { createTestDatabase, type TestDatabase } from '../../support/pg.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

/* PostgreSQL's fingerprint algorithms on a real server: what algorithm 2 tells apart, and old manifests (algorithm 1). */

const clock = new FakeClock('2026-12-03T11:00:00Z');

// Every kind of column: hashed directly (int, text, char(n), timestamps, date, uuid, bool) or by its text form (the rest), with NULLs and a dropped column.
const FIXTURE = `
  CREATE TYPE mood AS ENUM ('ok', 'sad');
  CREATE DOMAIN positive AS int CHECK (VALUE > 0);
  CREATE TABLE mixed (
    gone int, i2 smallint, i4 int, i8 bigint, t text, vc varchar(20), ch char(5), b bool, d date, ts timestamp, tz timestamptz, u uuid,
    n numeric, f float8, iv interval, j json, jb jsonb, ba bytea, arr int[], m mood, p positive, pt point
  );
  ALTER TABLE mixed DROP COLUMN gone;
  INSERT INTO mixed VALUES
    (1, 2, 3, 'Zoë', 'x', 'ab', true, '2026-12-03', '2026-12-03 10:00:00.5', '2026-12-03 10:00:00.123456+02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     1.50, 0.1, '1 day', '{"a": 1}', '{"b": [1, 2]}', '\\x00ff', '{1,NULL,3}', 'ok', 7, '(1,2)'),
    (NULL, NULL, NULL, '', NULL, NULL, false, 'infinity', '-infinity', 'infinity', NULL, 'NaN', '-0', '-1 mons', 'null', 'null', '\\x', '{}', 'sad', NULL, NULL),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
  CREATE TABLE no_columns ();
  INSERT INTO no_columns DEFAULT VALUES;
`;

let src: TestDatabase;
let dir: TempDir;
beforeEach(async () => {
  src = await createTestDatabase();
  dir = await makeTempDir();
  await withSql((c) => c.exec(FIXTURE));
});
afterEach(async () => {
  await Promise.all([src.drop(), dir.cleanup()]);
});

async function withSql<T>(fn: (c: SqlClient) => Promise<T>): Promise<T> {
  const c = await openSql('postgres', src.url);
  try {
    return await fn(c);
  } finally {
    await c.close();
  }
}

const config = () => DatabaseSchema.parse({ type: 'postgres', url: src.url, backup: { compression: 'none' } });
const storage = () => folderStorage(join(dir.path, 'backups'));
const backup = () => createBackup({ db: config(), name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock });
const verify = (b: CreatedBackup, fingerprints: CreatedBackup['fingerprints'], fingerprintVersion: number) =>
  verifyBackup({ db: config(), storage: storage(), backup: b, fingerprints, fingerprintVersion, method: 'restore', root: dir.path, clock });
const checksumOf = async (table: string, version?: number) => (await withSql((c) => fingerprintDatabase(c, version))).find((t) => t.table === table)?.checksum;

describe('PostgreSQL fingerprints, algorithm 2', () => {
  it('a restore of every kind of column (NULLs, infinities, enums, domains, a dropped column in the source) proves equal', async () => {
    const b = await backup();
    expect(b.fingerprintVersion).toBe(2);
    expect(b.verify).toMatchObject({ ok: true, tables: 2, rows: 4 });
    expect(b.fingerprints.find((t) => t.table === 'public.no_columns')).toMatchObject({ rows: 1 });
  });

  it('tells apart values that are equal but not identical (which a hash that follows equality would not)', async () => {
    const before = await checksumOf('public.mixed');
    const changes = [
      "UPDATE mixed SET n = 1.500 WHERE n = 1.50",
      "UPDATE mixed SET iv = '24 hours' WHERE iv = '1 day'",
      "UPDATE mixed SET f = 0 WHERE t = ''",
      "UPDATE mixed SET tz = tz + interval '1 microsecond' WHERE i2 = 1",
      "UPDATE mixed SET t = NULL WHERE t = ''",
      "UPDATE mixed SET jb = '{\"b\": [1, 2.0]}' WHERE i2 = 1",
      "UPDATE mixed SET (i2, i4) = (i4, i2) WHERE i2 = 1",
    ];
    const seen = new Set([before]);
    for (const change of changes) {
      // Inside a transaction that is rolled back: each change is seen alone.
      await withSql(async (c) => {
        await c.exec(`BEGIN; ${change}`);
        seen.add((await postgresFingerprints(c)).find((t) => t.table === 'public.mixed')?.checksum);
        await c.exec('ROLLBACK');
      });
    }
    expect(seen.size, 'each change gives a checksum of its own').toBe(changes.length + 1);
    expect(await checksumOf('public.mixed')).toBe(before);
  });

  it('does not follow session settings: the same figures under another time zone, date style and float digits', async () => {
    const plain = await withSql((c) => fingerprintDatabase(c));
    const other = await withSql(async (c) => {
      await c.exec("SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'SQL, DMY'; SET extra_float_digits = 0; SET IntervalStyle = 'iso_8601'; SET bytea_output = 'escape'");
      return fingerprintDatabase(c);
    });
    expect(other).toEqual(plain);
  });
});

describe('manifests of algorithm 1 (taken before algorithm 2 existed)', () => {
  it('still prove with algorithm 1, and only like is compared with like', async () => {
    const b = await backup();
    const old = await withSql((c) => fingerprintDatabase(c, 1));
    expect(old.map((t) => t.checksum)).not.toEqual(b.fingerprints.map((t) => t.checksum));
    await expect(verify(b, old, 1)).resolves.toMatchObject({ ok: true, tables: 2, rows: 4 });
    await expect(verify(b, old, 2)).rejects.toThrow(/failed its proof \(restore\): table public\.mixed has the same number of rows \(3\) but different contents/);
    await expect(verify(b, b.fingerprints, 3)).rejects.toThrow(/the backup's fingerprints are version 3, which this shipgate's PostgreSQL engine does not know \(it knows 1, 2\)/);
  });
});
