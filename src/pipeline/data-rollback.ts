import type { BackupOutput } from '../databases/contract.js';
import type { BackupRef, DataUndoAction } from './rollback-type.js';
import { decideMigrateUndo } from './stages/migrate-undo.js';

/**
 * Pure: what `shipgate rollback --type migration|database|auto` does to one
 * database, and why, in words for the journal and the record. Decided before
 * anything changes; a refusal stops the whole rollback with nothing changed.
 */

export type DataDecision = DataUndoAction | { database: string; action: 'nothing' | 'refuse'; why: string };

export interface MigrationRollbackInput {
  database: string;
  /** The deployment being rolled back. */
  subject: string;
  /** Every applied migration, in the order applied (the history table). */
  history: readonly string[];
  /** Names among `history` that `subject` applied. */
  applied: readonly string[];
  /** Names among `applied` without a down. */
  withoutDown: readonly string[];
  /** --steps: at most this many, newest first. Null: all of them. */
  steps: number | null;
}

/** `--type migration`: the downs of what the deployment applied, newest first, unless something stands in the way. */
export function decideMigrationRollback(i: MigrationRollbackInput): DataDecision {
  const db = i.database;
  const mine = i.history.filter((n) => i.applied.includes(n));
  if (mine.length === 0) return { database: db, action: 'nothing', why: `${db}: no migration applied by ${i.subject} is applied any more` };
  const names = [...mine].reverse().slice(0, i.steps ?? mine.length);
  const onTop = laterOnTop(db, i.history, names);
  if (onTop) return onTop;
  const missing = names.filter((n) => i.withoutDown.includes(n));
  if (missing.length > 0) {
    return { database: db, action: 'refuse', why: `${db}: ${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no down: write the down, or restore the backup ${i.subject} took (shipgate rollback --type database --db ${db}), which loses the writes made since` };
  }
  const rest = mine.length - names.length;
  return { database: db, action: 'down', names, why: `${db}: reverting ${names.join(', ')} (applied by ${i.subject}) newest first${rest > 0 ? `; ${rest} more of its migration(s) stay (--steps ${names.length})` : ''}; the writes made since are kept` };
}

/** A refusal when migrations not being reverted were applied after the oldest of `names` (a down from under them could break them). */
function laterOnTop(db: string, history: readonly string[], names: readonly string[]): DataDecision | null {
  const oldest = names[names.length - 1]!;
  const above = history.slice(history.indexOf(oldest)).filter((n) => !names.includes(n));
  if (above.length === 0) return null;
  const them = above.length === 1 ? 'it' : 'them';
  return { database: db, action: 'refuse', why: `${db}: ${above.join(', ')} (not reverted by this rollback) ${above.length === 1 ? 'was' : 'were'} applied after ${oldest}; revert ${them} first (shipgate migrate down --db ${db})` };
}

export interface DatabaseRollbackInput {
  database: string;
  backup: BackupRef & { verify: BackupOutput['verify'] };
  /** The deployment that took it, when it is the default (no --backup). */
  takenBy: string | null;
}

/** `--type database`: restore the backup; the words say which writes are lost. */
export function decideDatabaseRollback(i: DatabaseRollbackInput): DataDecision {
  const b = i.backup;
  const by = i.takenBy ? ` (taken by ${i.takenBy} before it migrated)` : '';
  const proof = b.verify.method === 'none' ? '; it was never proven (backup.verify: none)' : '';
  return { database: i.database, action: 'restore', backup: refOf(b), why: `${i.database}: restoring the backup ${b.id} taken at ${b.timestamp}${by}, which LOSES every write made since ${b.timestamp}${proof}` };
}

export interface AutoDataInput {
  database: string;
  /** Every applied migration, in the order applied (builtin; for `tool: command`, `applied`). */
  history: readonly string[];
  applied: readonly string[];
  withoutDown: readonly string[];
  backup: BackupOutput | null;
  mode: 'down' | 'restore';
}

/** `--type auto`: the undo rules of a failed deploy, as after traffic (the deployment being rolled back has served). */
export function decideAutoData(i: AutoDataInput): DataDecision {
  const d = decideMigrateUndo({ database: i.database, applied: i.applied, withoutDown: i.withoutDown, backup: i.backup, mode: i.mode, servedTraffic: true });
  if (d.action === 'down') return laterOnTop(i.database, i.history, d.names) ?? { database: i.database, action: 'down', names: d.names, why: d.why };
  if (d.action === 'restore') return { database: i.database, action: 'restore', backup: refOf(d.backup), why: d.why };
  return { database: i.database, action: d.action, why: d.why };
}

export function refOf(b: BackupRef): BackupRef {
  return { id: b.id, key: b.key, location: b.location, timestamp: b.timestamp, size: b.size, sha256: b.sha256, compression: b.compression, encrypted: b.encrypted, ...(b.encryption !== undefined ? { encryption: b.encryption } : {}) };
}
