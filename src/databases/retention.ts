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

/** A deployment as retention sees it (a store row's fields). */
export interface DeploymentFacts {
  id: string;
  version: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  previousVersion: string | null;
}

export interface ProtectionInput {
  /** The newest deployments of the app/environment, newest first, plus the unfinished ones. */
  deployments: readonly DeploymentFacts[];
  /** What is live: the newest succeeded deployment, if any. */
  live: DeploymentFacts | null;
  /** `rollback.window`. */
  windowMs: number;
  nowMs: number;
}

/**
 * Pure: the deployments whose backups retention keeps. Every deployment still
 * running or inside its rollback window (ended less than `windowMs` ago), and,
 * whatever their age, the live one (its backup is the schema the rollback target
 * ran on) and the one that made the rollback target live: `shipgate rollback
 * --force` may go past the window.
 */
export function deploymentsToProtect(i: ProtectionInput): Set<string> {
  const ids = new Set<string>();
  for (const d of i.deployments) {
    if (d.finishedAt === null || i.nowMs - Date.parse(d.finishedAt) < i.windowMs) ids.add(d.id);
  }
  if (i.live) {
    ids.add(i.live.id);
    const target = i.deployments.find((d) => d.id !== i.live!.id && d.status === 'succeeded' && d.version === i.live!.previousVersion && Date.parse(d.startedAt) <= Date.parse(i.live!.startedAt));
    if (target) ids.add(target.id);
  }
  return ids;
}

/** A backup as its manifest describes it. */
export interface CatalogedBackup extends RetainedBackup {
  kind: string;
  deploymentId: string | null;
}

/** Pure: the backups retention never deletes: those of protected deployments, and safety backups taken inside the rollback window. */
export function protectedBackupIds(backups: readonly CatalogedBackup[], deployments: ReadonlySet<string>, windowMs: number, nowMs: number): Set<string> {
  const isProtected = (b: CatalogedBackup): boolean => (b.deploymentId !== null && deployments.has(b.deploymentId)) || (b.kind === 'safety' && nowMs - Date.parse(b.timestamp) < windowMs);
  return new Set(backups.filter(isProtected).map((b) => b.id));
}
