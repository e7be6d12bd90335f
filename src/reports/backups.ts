/** Pure: the backups a deployment record names, with their restore commands. */
import type { DeploymentRecord } from '../pipeline/record.js';
import { restoreArgv, shellText, type CommandScope } from './commands.js';
import type { ReportBackup, ReportBackups } from './contract.js';

function backupOf(entry: Record<string, unknown>, scope: CommandScope): ReportBackup | null {
  const { database, backup_id: id } = entry;
  if (typeof database !== 'string' || typeof id !== 'string') return null;
  const verification = entry.verification as { ok?: unknown } | undefined;
  return {
    database,
    backup_id: id,
    location: String(entry.location ?? ''),
    timestamp: String(entry.timestamp ?? ''),
    verified: verification?.ok === true,
    restore_command: shellText(restoreArgv(scope, database, id)),
  };
}

/** The record's `database_backup`: one database's, or every one's under `all`. */
export function recordBackups(record: DeploymentRecord, scope: CommandScope): ReportBackup[] {
  const b = record.database_backup;
  if (!b) return [];
  const entries = Array.isArray(b.all) ? (b.all as Record<string, unknown>[]) : [b];
  return entries.map((e) => backupOf(e, scope)).filter((x): x is ReportBackup => x !== null);
}

/** Whether a backup is there to restore, and why not when it is not. */
export function backupAvailability(record: DeploymentRecord, scope: CommandScope): ReportBackups {
  const backups = recordBackups(record, scope);
  if (backups.length > 0) {
    return { available: true, note: 'taken before the migrations; restore with the command given (a safety backup of the current state is taken first)', backups };
  }
  const stage = record.stages.find((s) => s.name === 'backup');
  if (!stage) return { available: false, note: 'no backup: this deployment has no backup stage (no databases configured, or a rollback)', backups: [] };
  if (stage.status === 'succeeded') return { available: false, note: 'no backup: backups were off for this deployment (--no-backup or backup.enabled: false)', backups: [] };
  return { available: false, note: `no backup: the deployment stopped before its backup stage finished (backup stage ${stage.status.replace('_', ' ')})`, backups: [] };
}
