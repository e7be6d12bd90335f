import type { Writable } from 'node:stream';
import type { Runner } from '../runtime/process.js';
import type { TableFingerprint } from './contract.js';
import { BackupError } from './errors.js';

/**
 * What each database engine (postgres/, mysql/, sqlite/) does for backups. The
 * archive pipeline, storage and the proof's comparison are shared (backup.ts);
 * an engine only turns a database into a dump stream and a dump file back into
 * a database.
 */

/** The fingerprint algorithm of manifests that do not name one: each engine's first. */
export const LEGACY_FINGERPRINT_VERSION = 1;

/** A dump's snapshot as fingerprints, and which of the engine's algorithms computed them (a proof must use the same). */
export interface DumpedSnapshot {
  fingerprintVersion: number;
  /**
   * The snapshot's fingerprints. An engine that still holds the snapshot when
   * the dump ends (PostgreSQL) computes them then, off the dump's path, and lets
   * the snapshot go when they are done: the promise always settles, and nothing
   * of the engine's is left open once it has.
   */
  tables: Promise<TableFingerprint[]>;
}

export interface EngineOptions {
  /** Connection URL of the database backed up (may hold a password: never put in argv, logs or errors). */
  url: string;
  /** Folder `sqlite:` paths are relative to. */
  root: string;
  run: Runner;
  /** Server for scratch databases of the proof; default: the server of `url`. */
  verifyUrl?: string;
  signal?: AbortSignal;
}

export interface BackupEngine {
  /** File name ending of archives before compression and encryption: `pgdump`, `sql`, `sqlite`. */
  readonly extension: string;
  /**
   * Streams a consistent dump into `out` (without ending it: a dump that fails
   * halfway rejects, and the caller discards what `out` got, and nothing of the
   * engine's is left open), and returns the fingerprints of that same snapshot.
   */
  dump(out: Writable, workDir: string): Promise<DumpedSnapshot>;
  /**
   * Restores `file` into a scratch database, fingerprints it with algorithm
   * `fingerprintVersion` (the source's) and drops it, also on failure.
   */
  prove(file: string, workDir: string, fingerprintVersion: number): Promise<TableFingerprint[]>;
  /** Restores `file` into the database at `targetUrl`. */
  restore(file: string, targetUrl: string, workDir: string): Promise<void>;
  /** Tables named in the dump's table of contents. */
  list(file: string, workDir: string): Promise<string[]>;
}

/** For engines with one fingerprint algorithm: a clear error for a manifest that names another. */
export function checkFingerprintVersion(engine: string, known: readonly number[], version: number): void {
  if (!known.includes(version)) throw new BackupError(`the backup's fingerprints are version ${version}, which this shipgate's ${engine} engine does not know (it knows ${known.join(', ')}): prove it with the shipgate that took it`);
}
