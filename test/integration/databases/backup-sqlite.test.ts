import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../src/config/schema/databases.js';
import { createBackup, restoreBackup, verifyBackup, type CreatedBackup } from '../../../src/databases/backup.js';
import { sqliteFingerprints } from '../../../src/databases/sqlite/engine.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { folderStorage } from '../../support/folder-storage.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

const KEY = 'a backup passphrase of at least thirty-two characters';
const clock = new FakeClock('2026-12-03T11:00:00Z');

function seed(path: string): void {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, bio TEXT, avatar BLOB);
    CREATE TABLE events (kind TEXT, payload TEXT);
    INSERT INTO users VALUES (1, 'Zoë', NULL, x'00ff10'), (2, '日本語', '', NULL), (3, 'plain', 'bio', x'');
    INSERT INTO events VALUES ('a', NULL), ('a', NULL), ('b', '{"x":1}');
  `);
  db.close();
}

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir();
  seed(join(dir.path, 'app.db'));
});
afterEach(() => dir.cleanup());

function config(extra: Record<string, unknown> = {}) {
  return DatabaseSchema.parse({ type: 'sqlite', url: 'sqlite:app.db', backup: { encryption: { key: KEY }, ...extra } });
}

const storage = () => folderStorage(join(dir.path, 'backups'));
const backup = (db = config()) => createBackup({ db, name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock });
const verify = (b: CreatedBackup, db = config()) => verifyBackup({ db, storage: storage(), backup: b, fingerprints: b.fingerprints, fingerprintVersion: b.fingerprintVersion, method: 'restore', root: dir.path, clock });

describe('SQLite backups', () => {
  it('round-trips: backup with a restore proof, then a restore into a fresh file gives the same fingerprints', async () => {
    const b = await backup();
    expect(b.verify).toMatchObject({ method: 'restore', ok: true, tables: 2, rows: 6 });
    expect(b.key).toMatch(/^app\/prod\/main\/bk_20261203T110000Z_[0-9a-f]{6}\.sqlite\.gz\.enc$/);
    expect(b).toMatchObject({ database: 'main', compression: 'gzip', encrypted: true, timestamp: '2026-12-03T11:00:00.000Z' });
    await restoreBackup({ db: config(), storage: storage(), backup: b, root: dir.path, clock, targetUrl: 'sqlite:copy.db' });
    const copy = new Database(join(dir.path, 'copy.db'), { readonly: true });
    expect(sqliteFingerprints(copy)).toEqual(b.fingerprints);
    copy.close();
  });

  it('tells onStored the stored archive before its proof; an onStored that throws costs the backup nothing', async () => {
    const told: { location: string; size: number; sha256: string }[] = [];
    const b = await createBackup({ db: config(), name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock, onStored: (s) => void told.push(s) });
    expect(told).toEqual([{ location: storage().location(b.key), size: b.size, sha256: b.sha256, ms: 0 }]);
    const thrown = await createBackup({ db: config(), name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock, onStored: () => {
      throw new Error('stderr is gone');
    } });
    expect(thrown.verify).toMatchObject({ method: 'restore', ok: true });
    expect(await storage().stat(thrown.key)).not.toBeNull();
  });

  it('list proof checks the sha256 and the table list', async () => {
    const b = await backup(config({ verify: 'list', compression: 'none' }));
    expect(b.verify).toMatchObject({ method: 'list', ok: true, tables: 2 });
  });

  describe('corrupted archives are all caught by the proof', () => {
    it('a truncated archive', async () => {
      const b = await backup();
      await truncate(storage().path(b.key), b.size - 10);
      await expect(verify(b)).rejects.toThrow(/^archive .*\.sqlite\.gz\.enc is damaged: its sha256 is [0-9a-f]{64} \(\d+ bytes\) but the backup wrote [0-9a-f]{64} \(\d+ bytes\)$/);
    });

    it('one flipped byte', async () => {
      const b = await backup();
      const bytes = await readFile(storage().path(b.key));
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0x40;
      await writeFile(storage().path(b.key), bytes);
      await expect(verify(b)).rejects.toThrow(/is damaged: its sha256 is/);
    });

    it('a flipped byte even when the recorded sha256 was rewritten to match (the decryption catches it)', async () => {
      const b = await backup();
      const bytes = await readFile(storage().path(b.key));
      bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x01;
      await writeFile(storage().path(b.key), bytes);
      const { createHash } = await import('node:crypto');
      const forged = { ...b, sha256: createHash('sha256').update(bytes).digest('hex') };
      await expect(verify(forged)).rejects.toThrow(/could not be decoded: frame \d+ failed authentication \(the archive was altered or damaged\)$/);
    });

    it('a table missing from the dump', async () => {
      const full = await backup();
      const db = new Database(join(dir.path, 'app.db'));
      db.exec('DROP TABLE events');
      db.close();
      const partial = await backup();
      await expect(verify({ ...partial, fingerprints: full.fingerprints })).rejects.toThrow(/^backup .* failed its proof \(restore\): table events is missing from the restored copy$/);
    });

    it('a table missing from the dump, with the list proof too', async () => {
      const full = await backup();
      const db = new Database(join(dir.path, 'app.db'));
      db.exec('DROP TABLE users');
      db.close();
      const partial = await backup();
      const listed = verifyBackup({ db: config(), storage: storage(), backup: partial, fingerprints: full.fingerprints, fingerprintVersion: full.fingerprintVersion, method: 'list', root: dir.path, clock });
      await expect(listed).rejects.toThrow(/^backup .* failed its proof \(list\): table users is missing from the archive's table of contents$/);
    });

    it('a wrong encryption key', async () => {
      const b = await backup();
      const other = DatabaseSchema.parse({ type: 'sqlite', url: 'sqlite:app.db', backup: { encryption: { key: 'a different passphrase, also 32 characters long' } } });
      await expect(verify(b, other)).rejects.toThrow(/could not be decoded: the encryption key does not match this archive \(it was encrypted with another key\)$/);
    });
  });
});
