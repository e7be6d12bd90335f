/**
 * Backups encrypted to age recipients, on real SQLite backups, and against the
 * reference implementation: the `age` and `age-keygen` tools (Debian package `age`)
 * decrypt what shipgate wrote, and shipgate restores what they encrypted.
 */
import { createHash } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { execa } from 'execa';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema, type DatabaseConfig } from '../../../src/config/schema/databases.js';
import { createBackup, restoreBackup, verifyBackup, type CreatedBackup } from '../../../src/databases/backup.js';
import { sqliteFingerprints } from '../../../src/databases/sqlite/engine.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { folderStorage } from '../../support/folder-storage.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

const clock = new FakeClock('2026-12-03T11:00:00Z');

let identity: string;
let recipient: string;
let otherIdentity: string;
let otherRecipient: string;
beforeAll(async () => {
  identity = await generateX25519Identity();
  recipient = await identityToRecipient(identity);
  otherIdentity = await generateX25519Identity();
  otherRecipient = await identityToRecipient(otherIdentity);
});

let dir: TempDir;
beforeEach(async () => {
  dir = await makeTempDir();
  const db = new Database(join(dir.path, 'app.db'));
  db.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, avatar BLOB);
    INSERT INTO users VALUES (1, 'Zoë', x'00ff10'), (2, '日本語', NULL);
    CREATE TABLE events (kind TEXT, payload TEXT);
    INSERT INTO events VALUES ('a', NULL), ('b', '{"x":1}');
  `);
  db.close();
});
afterEach(() => dir.cleanup());

const config = (encryption: Record<string, unknown>, extra: Record<string, unknown> = {}): DatabaseConfig =>
  DatabaseSchema.parse({ type: 'sqlite', url: 'sqlite:app.db', backup: { encryption, ...extra } });
const storage = () => folderStorage(join(dir.path, 'backups'));
const backup = (db: DatabaseConfig) => createBackup({ db, name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock });
const verify = (b: CreatedBackup, db: DatabaseConfig, method: 'restore' | 'list' = 'restore') => verifyBackup({ db, storage: storage(), backup: b, fingerprints: b.fingerprints, fingerprintVersion: b.fingerprintVersion, method, root: dir.path, clock });
const restore = (b: CreatedBackup, db: DatabaseConfig, to = 'sqlite:copy.db') => restoreBackup({ db, storage: storage(), backup: b, root: dir.path, clock, targetUrl: to });

function fingerprintsOf(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return sqliteFingerprints(db);
  } finally {
    db.close();
  }
}

async function identityFile(text: string, mode = 0o600): Promise<string> {
  await writeFile(join(dir.path, 'age.txt'), text);
  await chmod(join(dir.path, 'age.txt'), mode);
  return 'age.txt';
}

describe('SQLite backups encrypted to age recipients', () => {
  it('round-trip: an .age archive, proven by a restore, restored into a fresh file with the same fingerprints', async () => {
    const db = config({ recipients: [otherRecipient, recipient], identity });
    const b = await backup(db);
    expect(b.key).toMatch(/^app\/prod\/main\/bk_20261203T110000Z_[0-9a-f]{6}\.sqlite\.gz\.age$/);
    expect(b).toMatchObject({ compression: 'gzip', encrypted: true, encryption: 'age', verify: { method: 'restore', ok: true, tables: 2, rows: 4 } });
    expect((await readFile(storage().path(b.key))).subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n');
    await restore(b, db);
    expect(fingerprintsOf(join(dir.path, 'copy.db'))).toEqual(b.fingerprints);
  });

  it('an identity file (0600, comments, several identities) decrypts; one other users may read is refused', async () => {
    const file = await identityFile(`# created: 2026-12-03T11:00:00Z\n# public key: ${recipient}\n${otherIdentity}\n${identity}\n`);
    const b = await backup(config({ recipients: [recipient], identityFile: file }));
    expect(b.verify).toMatchObject({ method: 'restore', ok: true, tables: 2 });
    await chmod(join(dir.path, file), 0o644);
    await expect(verify(b, config({ recipients: [recipient], identityFile: file }))).rejects.toThrow(`backup.encryption.identityFile (${join(dir.path, file)}): other users may read it (mode 0644); make it private with chmod 600`);
    await expect(verify(b, config({ recipients: [recipient], identityFile: 'missing.txt' }))).rejects.toThrow(`backup.encryption.identityFile (${join(dir.path, 'missing.txt')}): cannot read it (ENOENT)`);
  });

  it('a wrong identity: the proof fails as an undecryptable archive, which is deleted', async () => {
    const b = await backup(config({ recipients: [recipient], identity }));
    await expect(verify(b, config({ recipients: [recipient], identity: otherIdentity }))).rejects.toThrow(
      /^archive .*\.sqlite\.gz\.age could not be decoded: the age identity matches none of this archive's recipients \(it was encrypted for another key, or its header was altered\)$/,
    );
    const wrong = backup(config({ recipients: [recipient], identity: otherIdentity }));
    await expect(wrong).rejects.toThrow(/could not be decoded: the age identity matches none of this archive's recipients .*; the archive was deleted$/);
    expect((await storage().list('app/prod/main')).map((o) => o.key)).toEqual([b.key]);
  });

  it('a flipped byte, even with the recorded sha256 rewritten to match, fails authentication', async () => {
    const b = await backup(config({ recipients: [recipient], identity }));
    const bytes = await readFile(storage().path(b.key));
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x01;
    await writeFile(storage().path(b.key), bytes);
    const db = config({ recipients: [recipient], identity });
    await expect(verify(b, db)).rejects.toThrow(/is damaged: its sha256 is/);
    const forged = { ...b, sha256: createHash('sha256').update(bytes).digest('hex') };
    await expect(verify(forged, db)).rejects.toThrow(/could not be decoded: the archive failed authentication \(it was altered, damaged or truncated\)$/);
  });

  it('without an identity on this host: verify list checks the sha256 only, and a restore says what is missing', async () => {
    const db = config({ recipients: [recipient] }, { verify: 'list' });
    const b = await backup(db);
    expect(b.verify).toEqual({ method: 'list', ok: true, tables: 0, rows: 0, ms: 0, sha256Only: true });
    await writeFile(storage().path(b.key), Buffer.concat([await readFile(storage().path(b.key)), Buffer.from([0])]));
    await expect(verify(b, db, 'list')).rejects.toThrow(/is damaged: its sha256 is/);
    await expect(restore(b, db)).rejects.toThrow(/is damaged: its sha256 is/);
    const intact = await backup(db);
    await expect(restore(intact, db)).rejects.toThrow('the archive is encrypted to age recipients, but neither backup.encryption.identity nor backup.encryption.identityFile is set, so it cannot be decrypted here');
  });
});

describe('interoperability with the age reference tools', () => {
  /** A key pair made by `age-keygen`: its identity file and its recipient. */
  async function keygen(): Promise<{ file: string; recipient: string }> {
    const file = join(dir.path, 'keygen.txt');
    await execa('age-keygen', ['-o', file]);
    const { stdout } = await execa('age-keygen', ['-y', file]);
    return { file, recipient: stdout.trim() };
  }

  it('the age tool decrypts a backup shipgate encrypted to an age-keygen key', async () => {
    const keys = await keygen();
    const db = config({ recipients: [keys.recipient] }, { verify: 'none', compression: 'none' });
    const b = await backup(db);
    await execa('age', ['--decrypt', '--identity', keys.file, '--output', join(dir.path, 'decrypted.db'), storage().path(b.key)]);
    expect(fingerprintsOf(join(dir.path, 'decrypted.db'))).toEqual(b.fingerprints);
  });

  it('shipgate restores a backup the age tool encrypted, with the age-keygen identity file', async () => {
    const keys = await keygen();
    const db = config({ recipients: [keys.recipient], identityFile: 'keygen.txt' }, { compression: 'none' });
    const made = await backup(config({ recipients: [recipient], identity }, { compression: 'none' }));
    // Re-encrypt the same dump with the age tool, in place of shipgate's archive.
    const ours = await identityFile(`${identity}\n`);
    await execa('age', ['--decrypt', '--identity', join(dir.path, ours), '--output', join(dir.path, 'dump.db'), storage().path(made.key)]);
    await execa('age', ['--encrypt', '--recipient', keys.recipient, '--output', storage().path(made.key), join(dir.path, 'dump.db')]);
    const bytes = await readFile(storage().path(made.key));
    const theirs = { ...made, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    expect((await verify(theirs, db)).ok).toBe(true);
    await restore(theirs, db);
    expect(fingerprintsOf(join(dir.path, 'copy.db'))).toEqual(made.fingerprints);
  });
});
