import type { Runner } from '../runtime/process.js';
import type { TableFingerprint } from './contract.js';

/**
 * What each database engine (postgres/, mysql/, sqlite/) does for backups. The
 * archive pipeline, storage and the proof's comparison are shared (backup.ts);
 * an engine only turns a database into a dump file and back.
 */

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
  /** Writes a consistent dump to `file`, and returns the fingerprints of that same snapshot. */
  dump(file: string, workDir: string): Promise<TableFingerprint[]>;
  /** Restores `file` into a scratch database, fingerprints it and drops it, also on failure. */
  prove(file: string, workDir: string): Promise<TableFingerprint[]>;
  /** Restores `file` into the database at `targetUrl`. */
  restore(file: string, targetUrl: string, workDir: string): Promise<void>;
  /** Tables named in the dump's table of contents. */
  list(file: string, workDir: string): Promise<string[]>;
}
