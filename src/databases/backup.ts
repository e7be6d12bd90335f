import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { DatabaseConfig } from '../config/schema/databases.js';
import type { Clock } from '../runtime/clock.js';
import { processRunner, type Runner } from '../runtime/process.js';
import type { BackupStorage } from '../storage/contract.js';
import { decodeArchive, saveStored, writeArchive, type ArchiveFormat, type WrittenArchive } from './archive/archive.js';
import { canDecrypt, configuredEncryption, encryptionOf, readFormat, writeFormat } from './encryption.js';
import type { BackupOutput, TableFingerprint } from './contract.js';
import type { BackupEngine, DumpedSnapshot } from './engine.js';
import { createEngine } from './engines.js';
import { BackupError } from './errors.js';
import { firstDifference, totalRows } from './fingerprint.js';
import { withWorkDir } from './work-dir.js';

/**
 * Backups of one database: the engine's dump of a consistent snapshot streams
 * through the archive pipeline (compression, encryption, sha256) into storage in
 * one pass, then the backup is proven. The proof reads the archive back from
 * storage, so what is proven is the stored bytes.
 */

export type VerifyMethod = BackupOutput['verify']['method'];

interface Common {
  db: DatabaseConfig;
  storage: BackupStorage;
  /** Folder `sqlite:` paths are relative to (the config file's folder). */
  root: string;
  /** @default processRunner */
  run?: Runner;
  clock: Clock;
  signal?: AbortSignal;
}

export interface CreateBackupOptions extends Common {
  /** The database's name under `databases`. */
  name: string;
  /** Storage key folder of this database's archives, e.g. `<app>/<environment>/<name>`. */
  key: string;
  /** Told once the archive is in storage, before its proof (which takes longer than the dump): progress for a person waiting. */
  onStored?: (stored: StoredNotice) => void;
}

export interface StoredNotice {
  location: string;
  size: number;
  sha256: string;
  /** From the start of the backup to the archive stored. */
  ms: number;
}

/** The record of a backup, plus the source snapshot's fingerprints (what a later proof compares with). */
export interface CreatedBackup extends BackupOutput {
  fingerprints: TableFingerprint[];
  /** The engine's fingerprint algorithm that computed them. */
  fingerprintVersion: number;
}

/** What a proof or a restore needs to know of an archive. */
export type StoredBackup = Pick<BackupOutput, 'key' | 'sha256' | 'size' | 'compression' | 'encrypted' | 'encryption'>;

export interface VerifyBackupOptions extends Common {
  backup: StoredBackup;
  /** The source snapshot's tables (still being computed while a new backup's proof restores). */
  fingerprints: readonly TableFingerprint[] | Promise<readonly TableFingerprint[]>;
  /** The algorithm that computed `fingerprints` (the restored copy's are computed with the same). */
  fingerprintVersion: number;
  method: VerifyMethod;
}

export interface RestoreBackupOptions extends Common {
  backup: StoredBackup;
  /** @default db.url */
  targetUrl?: string;
}

/** `bk_20261203T111000Z_a1b2c3`: sorts by time. */
export function backupId(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `bk_${stamp}_${randomBytes(3).toString('hex')}`;
}

function engineOf(o: Common): BackupEngine {
  return createEngine(o.db.type, { url: o.db.url, root: o.root, run: o.run ?? processRunner, verifyUrl: o.db.backup.verifyUrl, signal: o.signal });
}

export function archiveKey(prefix: string, id: string, extension: string, format: ArchiveFormat): string {
  const folder = prefix.replace(/\/+$/, '');
  return `${folder ? `${folder}/` : ''}${id}.${extension}${format.compression === 'gzip' ? '.gz' : ''}${format.passphrase !== undefined ? '.enc' : ''}${format.recipients !== undefined ? '.age' : ''}`;
}

/**
 * Takes a backup and proves it by `backup.verify`. A backup that fails its proof
 * is deleted from storage (it must never be restored) and the error says why.
 */
export async function createBackup(o: CreateBackupOptions): Promise<CreatedBackup> {
  const engine = engineOf(o);
  const now = o.clock.now();
  const format = writeFormat(o.db);
  const id = backupId(now);
  const key = archiveKey(o.key, id, engine.extension, format);
  const { snapshot, written } = await withWorkDir((dir) => dumpInto(o, engine, key, format, dir));
  // The source's fingerprints are being computed from here on (beside the proof); they settle before this returns, whatever happens.
  const source = snapshot.tables;
  source.catch(() => undefined);
  const encryption = configuredEncryption(o.db);
  const stored: StoredBackup = { key, ...written, compression: format.compression, encrypted: encryption !== 'none', encryption };
  try {
    o.onStored?.({ location: o.storage.location(key), size: written.size, sha256: written.sha256, ms: o.clock.now() - now });
  } catch {
    // Progress only: a listener that throws must not cost the backup.
  }
  try {
    const verify = await verifyBackup({ ...o, backup: stored, fingerprints: source, fingerprintVersion: snapshot.fingerprintVersion, method: o.db.backup.verify });
    const fingerprints = await source;
    return { database: o.name, id, location: o.storage.location(key), timestamp: new Date(now).toISOString(), ...stored, verify, fingerprints, fingerprintVersion: snapshot.fingerprintVersion };
  } catch (err) {
    await source.catch(() => undefined);
    await o.storage.delete(key);
    throw new BackupError(`${(err as Error).message}; the archive was deleted`, { cause: err });
  }
}

/**
 * One pass: the dump flows through the archive pipeline into storage as the
 * engine produces it. The archive's end is written only once the dump succeeded,
 * so a dump that fails halfway fails the put too; whatever was stored is removed.
 */
async function dumpInto(o: CreateBackupOptions, engine: BackupEngine, key: string, format: ArchiveFormat, dir: string): Promise<{ snapshot: DumpedSnapshot; written: WrittenArchive }> {
  const source = new PassThrough();
  const dumping = engine.dump(source, dir).then(
    (snapshot) => (source.end(), snapshot),
    (err: unknown) => {
      source.destroy(err as Error);
      throw err;
    },
  );
  const archiving = writeArchive(source, format, (body) => o.storage.put(key, body, o.signal));
  try {
    const [snapshot, written] = await bothOrFirstFailure(dumping, archiving);
    return { snapshot, written };
  } catch (err) {
    // A dump that succeeded before the put failed is computing its fingerprints: they must not outlive this.
    await dumping.then((snapshot) => snapshot.tables).catch(() => undefined);
    await o.storage.delete(key).catch((gone: unknown) => {
      throw new BackupError(`${(err as Error).message}; removing what was stored at ${o.storage.location(key)} failed too: ${(gone as Error).message}`, { cause: err });
    });
    throw err;
  }
}

/**
 * Waits for both (neither is left running: the dump's child process is over and
 * the put settled), then throws the failure that came first: the cause, not the
 * other side's reaction to it.
 */
async function bothOrFirstFailure<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  let first: { err: unknown } | null = null;
  const note = (err: unknown): never => {
    first ??= { err };
    throw err;
  };
  const [ra, rb] = await Promise.allSettled([a.catch(note), b.catch(note)]);
  if (first !== null) throw (first as { err: unknown }).err;
  return [(ra as PromiseFulfilledResult<A>).value, (rb as PromiseFulfilledResult<B>).value];
}

/** Reads the archive back from storage into `dir` and checks its sha256; returns the file. */
async function fetchStored(o: Common & { backup: StoredBackup }, dir: string): Promise<string> {
  const stored = join(dir, 'stored');
  const got = await saveStored(await o.storage.get(o.backup.key, o.signal), stored);
  if (got.sha256 !== o.backup.sha256) {
    throw new BackupError(`archive ${o.storage.location(o.backup.key)} is damaged: its sha256 is ${got.sha256} (${got.size} bytes) but the backup wrote ${o.backup.sha256} (${o.backup.size} bytes)`);
  }
  return stored;
}

/** Reads the archive back from storage into a dump file in `dir`: sha256 first, then decryption and decompression. */
async function fetchDump(o: Common & { backup: StoredBackup }, dir: string): Promise<string> {
  const where = o.storage.location(o.backup.key);
  const stored = await fetchStored(o, dir);
  const format = await readFormat(o.db, encryptionOf(o.backup), o.backup.compression, o.root);
  const dump = join(dir, 'restored-dump');
  try {
    await decodeArchive(stored, format, dump);
  } catch (err) {
    throw new BackupError(`archive ${where} could not be decoded: ${(err as Error).message}`, { cause: err });
  }
  await rm(stored, { force: true });
  return dump;
}

/**
 * Proves a stored backup: `restore` compares a restored copy's fingerprints with the source's; `list` checks the sha256 and
 * the table list (only the sha256 when the archive is encrypted to age recipients and no identity is configured).
 */
export async function verifyBackup(o: VerifyBackupOptions): Promise<BackupOutput['verify']> {
  const started = o.clock.now();
  const figures = (restored: readonly TableFingerprint[]) => ({ method: o.method, ok: true, tables: restored.length, rows: totalRows(restored), ms: o.clock.now() - started });
  if (o.method === 'none') return { method: 'none', ok: true, tables: 0, rows: 0, ms: 0 };
  const engine = engineOf(o);
  return withWorkDir(async (dir) => {
    if (o.method === 'list' && !canDecrypt(o.db, encryptionOf(o.backup))) {
      // Encrypted to age recipients whose identity is kept off this host: what can be checked is the stored bytes.
      await fetchStored(o, dir);
      return { ...figures([]), sha256Only: true };
    }
    const dump = await fetchDump(o, dir);
    if (o.method === 'list') {
      const tables = await engine.list(dump, dir);
      const source = await o.fingerprints;
      failOn(o, missingTable(source, tables));
      return { ...figures(source), rows: 0 };
    }
    const restored = await engine.prove(dump, dir, o.fingerprintVersion);
    failOn(o, firstDifference(await o.fingerprints, restored));
    return figures(restored);
  });
}

function missingTable(source: readonly TableFingerprint[], listed: readonly string[]): string | null {
  const have = new Set(listed);
  const missing = source.map((t) => t.table).filter((t) => !have.has(t)).sort()[0];
  return missing === undefined ? null : `table ${missing} is missing from the archive's table of contents`;
}

function failOn(o: VerifyBackupOptions, difference: string | null): void {
  if (difference !== null) throw new BackupError(`backup ${o.storage.location(o.backup.key)} failed its proof (${o.method}): ${difference}`);
}

/** Restores a stored backup into `targetUrl` (default: the database itself), after checking its sha256. */
export async function restoreBackup(o: RestoreBackupOptions): Promise<void> {
  const engine = engineOf(o);
  await withWorkDir(async (dir) => engine.restore(await fetchDump(o, dir), o.targetUrl ?? o.db.url, dir));
}
