/**
 * Pure: which backups retention deletes. Newest first, a backup is kept while
 * it is among the newest `keep` and younger than `maxAgeMs`; a protected one
 * (the backup of a deployment still inside its rollback window, which an undo
 * or `shipgate rollback --type database` may need) is never deleted, whatever
 * its rank or age.
 */

export interface RetainedBackup {
  id: string;
  /** ISO time the backup was taken. */
  timestamp: string;
}

export interface RetentionPolicy {
  keep: number;
  maxAgeMs: number;
}

export function backupsToPrune<T extends RetainedBackup>(backups: readonly T[], policy: RetentionPolicy, protectedIds: ReadonlySet<string>, nowMs: number): T[] {
  const newestFirst = [...backups].sort((a, b) => Date.parse(b.timestamp) - Date.parse(a.timestamp));
  return newestFirst.filter((b, rank) => !protectedIds.has(b.id) && (rank >= policy.keep || nowMs - Date.parse(b.timestamp) > policy.maxAgeMs));
}
