import { createReadStream } from 'node:fs';
import { copyFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { tightenFile } from '../../runtime/private-files.js';
import { sqlitePath } from '../connection.js';
import type { TableFingerprint } from '../contract.js';
import { checkFingerprintVersion, LEGACY_FINGERPRINT_VERSION, type BackupEngine, type EngineOptions } from '../engine.js';
import { BackupError } from '../errors.js';
import { canonicalRow, fingerprintOf } from '../fingerprint.js';

/**
 * SQLite: the online backup API copies a consistent snapshot while writers go
 * on; that copy is checked (`PRAGMA integrity_check`) and fingerprinted, and it
 * is the dump, streamed from the work folder into the archive (the backup API
 * writes a file, not a stream, so SQLite keeps this one local copy). A restore
 * replaces the database file, so the application must not have it open.
 */

type Db = import('better-sqlite3').Database;

async function openFile(path: string, readonly: boolean): Promise<Db> {
  const { default: Database } = await import('better-sqlite3');
  return new Database(path, { readonly, fileMustExist: true, timeout: 30_000 });
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export function sqliteTables(db: Db): string[] {
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all() as { name: string }[];
  return rows.map((r) => r.name);
}

export function sqliteFingerprints(db: Db): TableFingerprint[] {
  return sqliteTables(db).map((table) => {
    const lines: string[] = [];
    for (const row of db.prepare(`SELECT * FROM ${quote(table)}`).raw().iterate()) lines.push(canonicalRow(row as unknown[]));
    return fingerprintOf(table, lines);
  });
}

function checkIntegrity(db: Db, what: string): void {
  const result = db.pragma('integrity_check', { simple: true });
  if (result !== 'ok') throw new BackupError(`${what} failed SQLite's integrity check: ${String(result)}`);
}

/** Opens `file` and runs `fn` on it, turning "not a database" into a clear error. */
async function inspect<T>(file: string, what: string, fn: (db: Db) => T): Promise<T> {
  let db: Db;
  try {
    db = await openFile(file, true);
  } catch (err) {
    throw new BackupError(`${what} could not be opened as SQLite: ${(err as Error).message}`);
  }
  try {
    checkIntegrity(db, what);
    return fn(db);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${what} could not be read as SQLite: ${(err as Error).message}`);
  } finally {
    db.close();
  }
}

/** A consistent copy of the database at `source` in `file` (0600), by the online backup API. */
async function snapshotTo(source: string, file: string): Promise<void> {
  const db = await openFile(source, true).catch((err: Error) => {
    throw new BackupError(`SQLite database ${source} could not be opened: ${err.message}`);
  });
  try {
    await db.backup(file);
  } finally {
    db.close();
  }
  tightenFile(file);
}

export function createSqliteEngine(opts: EngineOptions): BackupEngine {
  const source = sqlitePath(opts.url, opts.root);
  return {
    extension: 'sqlite',
    async dump(out, workDir) {
      const file = join(workDir, 'dump');
      await snapshotTo(source, file);
      const tables = await inspect(file, 'the backup copy', sqliteFingerprints);
      await pipeline(createReadStream(file), out, { end: false });
      return { fingerprintVersion: LEGACY_FINGERPRINT_VERSION, tables: Promise.resolve(tables) };
    },
    async prove(file, workDir, version) {
      checkFingerprintVersion('SQLite', [LEGACY_FINGERPRINT_VERSION], version);
      const scratch = join(workDir, 'scratch.sqlite');
      await copyFile(file, scratch);
      try {
        return await inspect(scratch, 'the restored copy', sqliteFingerprints);
      } finally {
        await rm(scratch, { force: true });
      }
    },
    async restore(file, targetUrl) {
      const target = sqlitePath(targetUrl, opts.root);
      await inspect(file, 'the backup', () => undefined);
      const staged = `${target}.shipgate-restore`;
      await copyFile(file, staged);
      // A journal left by the database being replaced would be replayed onto the restored file.
      await Promise.all([rm(`${target}-wal`, { force: true }), rm(`${target}-shm`, { force: true }), rm(`${target}-journal`, { force: true })]);
      await rename(staged, target);
    },
    list: (file) => inspect(file, 'the backup', sqliteTables),
  };
}
