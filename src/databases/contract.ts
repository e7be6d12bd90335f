/**
 * Shared types of the database family: engines (backup, proof, restore) and
 * migrations. This module imports nothing, so contracts, stages and the CLI can
 * share it without pulling in drivers.
 */

export const DATABASE_TYPES = ['postgres', 'mysql', 'sqlite', 'mongodb'] as const;
export type DatabaseType = (typeof DATABASE_TYPES)[number];

/** One table (or collection) as a fingerprint: compared between a source snapshot and a restored copy. */
export interface TableFingerprint {
  table: string;
  rows: number;
  /** A digest of the rows, independent of their order (each engine says how), hex. */
  checksum: string;
}

/** A minimal SQL connection, the same for PostgreSQL, MySQL/MariaDB and SQLite. */
export interface SqlClient {
  readonly type: Exclude<DatabaseType, 'mongodb'>;
  /** Rows of a query; `params` are bound, never spliced (`$1` on PostgreSQL, `?` elsewhere). */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs one or more statements with no result. */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** A migration file pair of the builtin tool. */
export interface MigrationFile {
  /** `0001_add_users` (the file name without `.up.sql`). */
  name: string;
  up: string;
  /** Null when there is no `.down.sql`. */
  down: string | null;
  /** sha256 of the up file, hex: drift detection. */
  sha256: string;
  /**
   * The up file has a `-- shipgate:contract` line: the contract phase of an
   * expand/contract change, whose destructive statements the guard lets through.
   */
  contract: boolean;
}

/** A row of the history table. */
export interface AppliedMigration {
  name: string;
  sha256: string;
  appliedAt: string;
  durationMs: number;
  deploymentId: string | null;
}

/** How an archive is encrypted: not, with the passphrase of `backup.encryption.key`, or to the age recipients of `backup.encryption.recipients`. */
export const ENCRYPTION_KINDS = ['none', 'passphrase', 'age'] as const;
export type EncryptionKind = (typeof ENCRYPTION_KINDS)[number];

/** What the backup stage produced: read by the migrate stage's undo after a crash, and put in the record. */
export interface BackupOutput {
  database: string;
  id: string;
  key: string;
  location: string;
  timestamp: string;
  size: number;
  sha256: string;
  compression: 'gzip' | 'none';
  encrypted: boolean;
  /** Absent in backups taken before age recipients existed (encrypted ones then used the passphrase). */
  encryption?: EncryptionKind;
  /** `sha256Only`: a `list` proof of an archive encrypted to age recipients, without an identity here: the table list inside was not read. */
  verify: { method: 'restore' | 'list' | 'none'; ok: boolean; tables: number; rows: number; ms: number; sha256Only?: true };
}
