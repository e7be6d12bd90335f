import type { BackupOutput } from '../../databases/contract.js';

/**
 * Pure: how to undo one database's migrations, and why. The rule that matters:
 * restoring a backup throws away every write made since it was taken. Before the
 * new version served traffic (the migrate stage itself failed, or the run died
 * during it), nothing has written through the new schema, so a restore loses
 * nothing and is the safe way back when a down is missing. Once the new version
 * has served, down migrations keep the writes; a restore is done only when
 * `rollback.database: restore` says so, and never silently.
 */

export type MigrateUndo =
  | { action: 'nothing'; why: string }
  | { action: 'down'; names: string[]; why: string }
  | { action: 'restore'; backup: BackupOutput; why: string }
  | { action: 'refuse'; why: string };

export interface MigrateUndoInput {
  database: string;
  /** What this deployment applied, in order (for `tool: command`, one entry once its command began). */
  applied: readonly string[];
  /** Names among `applied` that have no down migration (or, for `tool: command`, no `down` command). */
  withoutDown: readonly string[];
  /** The proven backup this deployment took before migrating, if any. */
  backup: BackupOutput | null;
  /** A stage after migrate began: the new version may have served traffic and written through the new schema. */
  servedTraffic: boolean;
  /** `rollback.database`. */
  mode: 'down' | 'restore';
  /**
   * The backup can be decrypted here: false when it is encrypted to age recipients and no
   * identity is set on this host (it is restored where the identity is). @default true
   */
  backupReadable?: boolean;
}

export function decideMigrateUndo(i: MigrateUndoInput): MigrateUndo {
  const d = decideWithBackup(i);
  if (d.action !== 'restore' || i.backupReadable !== false) return d;
  const id = d.backup.id;
  return { action: 'refuse', why: `${i.database}: ${missingDowns(i.withoutDown)}; the backup ${id} is encrypted to age recipients and no identity is set here (backup.encryption.identity or identityFile), so it cannot be restored here; restore it where the identity is, with \`shipgate backup restore ${id} --db ${i.database}\`, or write the down` };
}

function missingDowns(withoutDown: readonly string[]): string {
  return `${withoutDown.join(', ')} ${withoutDown.length === 1 ? 'has' : 'have'} no down`;
}

function decideWithBackup(i: MigrateUndoInput): MigrateUndo {
  if (i.applied.length === 0) return { action: 'nothing', why: `${i.database}: this deployment applied no migration` };
  const names = [...i.applied].reverse();
  if (i.withoutDown.length === 0) {
    return { action: 'down', names, why: `${i.database}: every migration this deployment applied has a down: running them newest first (${names.join(', ')})${i.servedTraffic ? '; the writes made since are kept' : ''}` };
  }
  const missing = missingDowns(i.withoutDown);
  const backup = i.backup !== null && i.backup.verify.ok ? i.backup : null;
  if (!i.servedTraffic) {
    if (backup) return { action: 'restore', backup, why: `${i.database}: ${missing}; restoring the backup ${backup.id} taken at ${backup.timestamp} (the new version never served, so no write is lost)` };
    return { action: 'refuse', why: `${i.database}: ${missing} and there is no proven backup of this deployment to restore; the schema is as the failed migration left it: check it by hand` };
  }
  if (i.mode === 'restore' && backup) {
    return { action: 'restore', backup, why: `${i.database}: ${missing}; rollback.database is restore: restoring the backup ${backup.id} taken at ${backup.timestamp}, which LOSES every write made since` };
  }
  const how = backup ? `restoring the backup ${backup.id} (taken at ${backup.timestamp}) would lose the writes made since, and rollback.database is down; restore it on purpose with \`shipgate backup restore ${backup.id} --db ${i.database}\`, or write the down` : 'there is no proven backup of this deployment either';
  return { action: 'refuse', why: `${i.database}: ${missing}; ${how}` };
}
