import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../src/config/schema/databases.js';
import { createBackup, restoreBackup, verifyBackup, type CreatedBackup } from '../../../src/databases/backup.js';
import { openSql } from '../../../src/databases/connection.js';
import { fingerprintDatabase } from '../../../src/databases/postgres/fingerprints.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { processRunner, type Runner } from '../../../src/runtime/process.js';
import { folderStorage } from '../../support/folder-storage.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../../support/pg.js';
import { scratchTracker } from '../../support/scratch-tracking.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

const KEY = 'a backup passphrase of at least thirty-two characters';
// The test server trusts local connections, so this password is sent nowhere; it must still never show.
const PASSWORD = 'S3cret-Pw-9f8e7d';
const clock = new FakeClock('2026-12-03T11:00:00Z');

const FIXTURE = `
  CREATE SCHEMA billing;
  CREATE TABLE users (id serial PRIMARY KEY, name text, bio text, avatar bytea, born date);
  CREATE TABLE events (kind text, payload jsonb, at timestamptz);
  CREATE TABLE billing.invoices (id bigint PRIMARY KEY, amount numeric(12,2), note text);
  INSERT INTO users (name, bio, avatar, born) VALUES ('Zoë', NULL, '\\x00ff10', '1990-01-02'), ('日本語 🚀', '', NULL, NULL), ('plain', 'tab\tquote"', '\\x', '2000-02-29');
  INSERT INTO events VALUES ('a', NULL, NULL), ('a', NULL, NULL), ('b', '{"x": [1, "é"]}', '2026-12-03 10:00:00+00');
  INSERT INTO billing.invoices VALUES (1, 12.50, NULL), (2, 0, 'ok');
`;

let src: TestDatabase;
let dir: TempDir;
const extra: TestDatabase[] = [];
beforeEach(async () => {
  src = await createTestDatabase();
  dir = await makeTempDir();
  await sql(src.url, FIXTURE);
});
afterEach(async () => {
  await Promise.all([src.drop(), dir.cleanup(), ...extra.splice(0).map((d) => d.drop())]);
});

async function sql(url: string, text: string): Promise<void> {
  const c = await openSql('postgres', url);
  try {
    await c.exec(text);
  } finally {
    await c.close();
  }
}

async function fingerprintsOf(url: string) {
  const c = await openSql('postgres', url);
  try {
    return await fingerprintDatabase(c);
  } finally {
    await c.close();
  }
}

function withPassword(url: string): string {
  const u = new URL(url);
  u.password = PASSWORD;
  return u.toString();
}

async function scratchDatabases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'shipgate\\_verify\\_%'")).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

/** Scratch databases the proofs restored into (from pg_restore's argv), to check they are gone afterwards. */
const { run: tracking, expectDropped: expectScratchesDropped } = scratchTracker((req) => {
  const at = req.argv.indexOf('--dbname');
  const name = req.argv[at + 1];
  return req.argv[0] === 'pg_restore' && name?.startsWith('shipgate_verify_') ? name : null;
}, scratchDatabases);

const config = (url = src.url, backup: Record<string, unknown> = { encryption: { key: KEY } }) => DatabaseSchema.parse({ type: 'postgres', url, backup });
const storage = () => folderStorage(join(dir.path, 'backups'));
const backup = (db = config(), run: Runner = tracking) => createBackup({ db, name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock, run });
const verify = (b: CreatedBackup, db = config()) => verifyBackup({ db, storage: storage(), backup: b, fingerprints: b.fingerprints, fingerprintVersion: b.fingerprintVersion, method: 'restore', root: dir.path, clock, run: tracking });

describe('PostgreSQL backups', () => {
  it('round-trips: pg_dump of an exported snapshot, proof ok, and a restore into a fresh database gives the same fingerprints', async () => {
    const b = await backup();
    expect(b.verify).toMatchObject({ method: 'restore', ok: true, tables: 3, rows: 8 });
    expect(b.fingerprints.map((t) => t.table)).toEqual(['billing.invoices', 'public.events', 'public.users']);
    expect(b.fingerprints).toEqual(await fingerprintsOf(src.url));
    const target = await createTestDatabase();
    extra.push(target);
    await restoreBackup({ db: config(), storage: storage(), backup: b, root: dir.path, clock, targetUrl: target.url });
    expect(await fingerprintsOf(target.url)).toEqual(b.fingerprints);
    await expectScratchesDropped();
  });

  it('age recipients: an .age archive proven by a restore, restored into a fresh database with the same fingerprints; a wrong identity fails the proof', async () => {
    const identity = await generateX25519Identity();
    const db = config(src.url, { encryption: { recipients: [await identityToRecipient(identity)], identity } });
    const b = await backup(db);
    expect(b).toMatchObject({ encryption: 'age', verify: { method: 'restore', ok: true, tables: 3, rows: 8 } });
    // compression auto: pg_dump's custom format is compressed already, so no gzip on top.
    expect(b).toMatchObject({ compression: 'none' });
    expect(b.key).toMatch(/\.pgdump\.age$/);
    const target = await createTestDatabase();
    extra.push(target);
    await restoreBackup({ db, storage: storage(), backup: b, root: dir.path, clock, targetUrl: target.url });
    expect(await fingerprintsOf(target.url)).toEqual(b.fingerprints);
    await expectScratchesDropped();
    const wrong = config(src.url, { encryption: { recipients: [await identityToRecipient(identity)], identity: await generateX25519Identity() } });
    await expect(verify(b, wrong)).rejects.toThrow(/could not be decoded: the age identity matches none of this archive's recipients/);
  });

  it('dump and fingerprints share one snapshot: a write that lands while pg_dump starts is in neither, and the proof holds', async () => {
    let wrote = false;
    const writing: Runner = (req) =>
      processRunner({
        ...req,
        onSpawn: req.argv[0] === 'pg_dump' ? async () => {
          await sql(src.url, "INSERT INTO users (name) VALUES ('written during the backup'); DELETE FROM events WHERE kind = 'b'");
          wrote = true;
        } : undefined,
      });
    const b = await backup(config(), writing);
    expect(wrote).toBe(true);
    expect(b.verify).toMatchObject({ ok: true, tables: 3, rows: 8 });
    const now = await fingerprintsOf(src.url);
    expect(now.find((t) => t.table === 'public.users')?.rows).toBe(4);
    expect(b.fingerprints.find((t) => t.table === 'public.users')?.rows).toBe(3);
  });

  it('the fingerprints run after pg_dump, still in its snapshot: a write that lands once pg_dump has exited is not in them, and the proof holds', async () => {
    let wrote = false;
    const writingAfter: Runner = async (req) => {
      const result = await processRunner(req);
      if (req.argv[0] === 'pg_dump') {
        await sql(src.url, "INSERT INTO users (name) VALUES ('written after pg_dump'); DELETE FROM billing.invoices");
        wrote = true;
      }
      return result;
    };
    const b = await backup(config(), writingAfter);
    expect(wrote).toBe(true);
    expect(b.verify).toMatchObject({ ok: true, tables: 3, rows: 8 });
    expect(b.fingerprints.find((t) => t.table === 'public.users')?.rows).toBe(3);
    expect(b.fingerprints.find((t) => t.table === 'billing.invoices')?.rows).toBe(2);
  });

  it('a put that fails after pg_dump succeeded fails the backup only once its fingerprints have let the snapshot go: no session of the backup is left open', async () => {
    // Once pg_dump has exited, a lock held for 1.5 s keeps the fingerprints' scan of users waiting.
    let locker: pg.Client | null = null;
    const locking: Runner = async (req) => {
      const result = await processRunner(req);
      if (req.argv[0] === 'pg_dump') {
        locker = new pg.Client({ connectionString: src.url });
        await locker.connect();
        await locker.query('BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE');
        const held = locker;
        setTimeout(() => void held.end(), 1500);
      }
      return result;
    };
    const failing = storage();
    const put = failing.put.bind(failing);
    failing.put = async (key, body, signal) => {
      await put(key, body, signal);
      throw new Error('disk full while closing the archive');
    };
    const started = Date.now();
    const err = await createBackup({ db: config(), name: 'main', storage: failing, key: 'app/prod/main', root: dir.path, clock, run: locking }).catch((e: Error) => e);
    expect(String(err)).toMatch(/disk full while closing the archive/);
    expect(locker).not.toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    try {
      const open = await c.query("SELECT state, query FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND query NOT LIKE '%LOCK TABLE users%'", [src.name]);
      expect(open.rows).toEqual([]);
    } finally {
      await c.end();
    }
  });

  it('restores over the database itself after a migration changed it (the undo of a migration)', async () => {
    const b = await backup();
    await sql(src.url, "ALTER TABLE users ADD COLUMN email text; UPDATE users SET email = 'x'; DELETE FROM events; INSERT INTO billing.invoices VALUES (3, 1, 'new')");
    await restoreBackup({ db: config(), storage: storage(), backup: b, root: dir.path, clock });
    expect(await fingerprintsOf(src.url)).toEqual(b.fingerprints);
  });

  it('list proof reads the table of contents with pg_restore --list', async () => {
    const b = await backup(config(src.url, { verify: 'list' }));
    expect(b.verify).toMatchObject({ method: 'list', ok: true, tables: 3 });
  });

  it('keeps the password out of pg_dump and pg_restore argv (it goes by PGPASSWORD) and out of error texts', async () => {
    const seen: { cmdline: string; environ: string }[] = [];
    const watching: Runner = (req) =>
      processRunner({
        ...req,
        onSpawn: req.stdinFile ? undefined : async (g) => void seen.push({ cmdline: readFileSync(`/proc/${g.pgid}/cmdline`, 'utf8'), environ: readFileSync(`/proc/${g.pgid}/environ`, 'utf8') }),
      });
    await backup(config(withPassword(src.url)), watching);
    const dump = seen.find((s) => s.cmdline.includes('pg_dump'));
    expect(dump?.cmdline.split('\0')).toEqual(expect.arrayContaining(['pg_dump', '--host', '127.0.0.1', '--port', '5432', '--username', 'postgres', '--dbname', src.name]));
    expect(dump?.environ).toContain(`PGPASSWORD=${PASSWORD}`);
    expect(seen.filter((s) => s.cmdline.includes('pg_restore'))).toHaveLength(1);
    for (const s of seen) expect(s.cmdline).not.toContain(PASSWORD);
    const missing = new URL(withPassword(src.url));
    missing.pathname = '/sg_no_such_database';
    const err = await backup(config(missing.toString())).catch((e: Error) => e);
    expect(String(err)).toMatch(/could not connect to PostgreSQL database sg_no_such_database at 127\.0\.0\.1:5432 for the backup/);
    expect(String(err)).not.toContain(PASSWORD);
  });

  describe('corrupted archives are all caught by the proof, and the scratch database is dropped after each', () => {
    it('a truncated archive', async () => {
      const b = await backup(config(src.url, { encryption: { key: KEY }, compression: 'gzip' }));
      await truncate(storage().path(b.key), b.size - 1);
      await expect(verify(b)).rejects.toThrow(/^archive .*\.pgdump\.gz\.enc is damaged: its sha256 is [0-9a-f]{64} \(\d+ bytes\) but the backup wrote [0-9a-f]{64} \(\d+ bytes\)$/);
    });

    it('one flipped byte, wherever it is: the sha256 catches it; forging the sha256 of an encrypted archive does not help', async () => {
      // A flip in a plain pg_dump archive can land where no table data is (a comment in the TOC), so the proof can not
      // rest on the restore alone: the sha256 of the stored bytes is what catches every flip.
      const b = await backup();
      const bytes = await readFile(storage().path(b.key));
      for (const at of [0, 60, Math.floor(bytes.length / 2), bytes.length - 1]) {
        const bad = Buffer.from(bytes);
        bad[at] = bad[at]! ^ 0x01;
        await writeFile(storage().path(b.key), bad);
        await expect(verify(b), `byte ${at}`).rejects.toThrow(/is damaged: its sha256 is/);
        const forged = { ...b, sha256: createHash('sha256').update(bad).digest('hex') };
        await expect(verify(forged), `byte ${at}`).rejects.toThrow(/could not be decoded: (frame \d+ failed authentication|the encryption key does not match|not an encrypted shipgate archive)/);
      }
      await expectScratchesDropped();
    });

    it('restored data that differs from the source (a row changed after the snapshot) fails the proof', async () => {
      const b = await backup(config(src.url, { compression: 'none' }));
      await sql(src.url, "UPDATE users SET bio = 'changed' WHERE name = 'plain'");
      const later = await fingerprintsOf(src.url);
      await expect(verify({ ...b, fingerprints: later })).rejects.toThrow(/failed its proof \(restore\): table public\.users has the same number of rows \(3\) but different contents \(checksum [0-9a-f]{12}… restored, [0-9a-f]{12}… in the source\)$/);
      await expectScratchesDropped();
    });

    it('a table missing from the dump', async () => {
      const full = await backup();
      await sql(src.url, 'DROP TABLE billing.invoices');
      const partial = await backup();
      await expect(verify({ ...partial, fingerprints: full.fingerprints })).rejects.toThrow(/^backup .* failed its proof \(restore\): table billing\.invoices is missing from the restored copy$/);
      await expectScratchesDropped();
    });

    it('a wrong encryption key', async () => {
      const b = await backup();
      await expect(verify(b, config(src.url, { encryption: { key: 'a different passphrase, also 32 characters long' } }))).rejects.toThrow(/could not be decoded: the encryption key does not match this archive \(it was encrypted with another key\)$/);
    });
  });
});
