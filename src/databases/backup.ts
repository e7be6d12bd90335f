import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DatabaseConfig } from '../config/schema/databases.js';
import type { Clock } from '../runtime/clock.js';
import { execaRunner, type Runner } from '../runtime/process.js';
import type { BackupStorage } from '../storage/contract.js';
import { decodeArchive, saveStored, writeArchive, type ArchiveFormat } from './archive/archive.js';
import type { BackupOutput, TableFingerprint } from './contract.js';
import type { BackupEngine } from './engine.js';
import { createEngine } from './engines.js';
import { BackupError } from './errors.js';
import { firstDifference, totalRows } from './fingerprint.js';
import { withWorkDir } from './work-dir.js';

/**
 * Backups of one database: dump a consistent snapshot, stream it through the
 * archive pipeline into storage, then prove it. The proof reads the archive back
 * from storage, so what is proven is the stored bytes, not the local dump.
 */

export type VerifyMethod = BackupOutput['verify']['method'];

interface Common {
  db: DatabaseConfig;
  storage: BackupStorage;
  /** Folder `sqlite:` paths are relative to (the config file's folder). */
  root: string;
  /** @default execaRunner */
  run?: Runner;
  clock: Clock;
  signal?: AbortSignal;
}

export interface CreateBackupOptions extends Common {
  /** The database's name under `databases`. */
  name: string;
  /** Storage key folder of this database's archives, e.g. `<app>/<environment>/<name>`. */
  key: string;
}

/** The record of a backup, plus the source snapshot's fingerprints (what a later proof compares with). */
export interface CreatedBackup extends BackupOutput {
  fingerprints: TableFingerprint[];
}

/** What a proof or a restore needs to know of an archive. */
export type StoredBackup = Pick<BackupOutput, 'key' | 'sha256' | 'size' | 'compression' | 'encrypted'>;

export interface VerifyBackupOptions extends Common {
  backup: StoredBackup;
  /** The source snapshot's tables. */
  fingerprints: readonly TableFingerprint[];
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
  return createEngine(o.db.type, { url: o.db.url, root: o.root, run: o.run ?? execaRunner, verifyUrl: o.db.backup.verifyUrl, signal: o.signal });
}

function formatOf(db: DatabaseConfig, encrypted: boolean, compression = db.backup.compression): ArchiveFormat {
  if (!encrypted) return { compression };
  const passphrase = db.backup.encryption?.key;
  if (passphrase === undefined) throw new BackupError('the archive is encrypted but backup.encryption.key is not set');
  return { compression, passphrase };
}

export function archiveKey(prefix: string, id: string, extension: string, format: ArchiveFormat): string {
  const folder = prefix.replace(/\/+$/, '');
  return `${folder ? `${folder}/` : ''}${id}.${extension}${format.compression === 'gzip' ? '.gz' : ''}${format.passphrase !== undefined ? '.enc' : ''}`;
}

/**
 * Takes a backup and proves it by `backup.verify`. A backup that fails its proof
 * is deleted from storage (it must never be restored) and the error says why.
 */
export async function createBackup(o: CreateBackupOptions): Promise<CreatedBackup> {
  const engine = engineOf(o);
  const now = o.clock.now();
  const format = formatOf(o.db, o.db.backup.encryption !== undefined);
  const id = backupId(now);
  const key = archiveKey(o.key, id, engine.extension, format);
  const { fingerprints, written } = await withWorkDir(async (dir) => {
    const file = join(dir, 'dump');
    const tables = await engine.dump(file, dir);
    const archived = await writeArchive(createReadStream(file), format, (body) => o.storage.put(key, body, o.signal));
    return { fingerprints: tables, written: archived };
  });
  const stored: StoredBackup = { key, ...written, compression: format.compression, encrypted: format.passphrase !== undefined };
  const verify = await verifyBackup({ ...o, backup: stored, fingerprints, method: o.db.backup.verify }).catch(async (err: unknown) => {
    await o.storage.delete(key);
    throw new BackupError(`${(err as Error).message}; the archive was deleted`, { cause: err });
  });
  return { database: o.name, id, location: o.storage.location(key), timestamp: new Date(now).toISOString(), ...stored, verify, fingerprints };
}

/** Reads the archive back from storage into a dump file in `dir`: sha256 first, then decryption and decompression. */
async function fetchDump(o: Common & { backup: StoredBackup }, dir: string): Promise<string> {
  const where = o.storage.location(o.backup.key);
  const stored = join(dir, 'stored');
  const got = await saveStored(await o.storage.get(o.backup.key, o.signal), stored);
  if (got.sha256 !== o.backup.sha256) {
    throw new BackupError(`archive ${where} is damaged: its sha256 is ${got.sha256} (${got.size} bytes) but the backup wrote ${o.backup.sha256} (${o.backup.size} bytes)`);
  }
  const dump = join(dir, 'restored-dump');
  try {
    await decodeArchive(stored, formatOf(o.db, o.backup.encrypted, o.backup.compression), dump);
  } catch (err) {
    throw new BackupError(`archive ${where} could not be decoded: ${(err as Error).message}`, { cause: err });
  }
  await rm(stored, { force: true });
  return dump;
}

/** Proves a stored backup: `restore` compares a restored copy's fingerprints with the source's; `list` checks the sha256 and the table list. */
export async function verifyBackup(o: VerifyBackupOptions): Promise<BackupOutput['verify']> {
  const started = o.clock.now();
  const figures = (restored: readonly TableFingerprint[]) => ({ method: o.method, ok: true, tables: restored.length, rows: totalRows(restored), ms: o.clock.now() - started });
  if (o.method === 'none') return { method: 'none', ok: true, tables: 0, rows: 0, ms: 0 };
  const engine = engineOf(o);
  return withWorkDir(async (dir) => {
    const dump = await fetchDump(o, dir);
    if (o.method === 'list') {
      const tables = await engine.list(dump, dir);
      failOn(o, missingTable(o.fingerprints, tables));
      return { ...figures(o.fingerprints), rows: 0 };
    }
    const restored = await engine.prove(dump, dir);
    failOn(o, firstDifference(o.fingerprints, restored));
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
