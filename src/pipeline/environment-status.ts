import { toMs } from '../config/duration.js';
import type { DeploymentRow, LockRow, Store } from '../store/contract.js';
import type { ProcessIdentity } from '../runtime/process-identity.js';
import { appLive } from './app-live.js';
import { isStaleHolder } from './lock.js';
import { newestRecordedLive } from './records-evidence.js';
import { statusRollbackTarget } from './rollback-target.js';
import { judgeStore } from './target-truth.js';

export type ActivityState = 'running' | 'awaiting_approval' | 'recovering' | 'interrupted';

export interface Activity {
  deployment: DeploymentRow;
  state: ActivityState;
  /** For `recovering`: the run that is finishing it. */
  by: string | null;
}

export interface EnvironmentStatus {
  app: string;
  environment: string;
  live: DeploymentRow | null;
  /** What `shipgate rollback` would return to (null after a rollback: a second one must name its version). */
  rollbackTarget: string | null;
  /** When the live deployment is a rollback: the version it rolled away from. */
  rolledBackFrom: string | null;
  rollbackDeadline: string | null;
  rollbackOpen: boolean;
  activity: Activity[];
  lock: (LockRow & { stale: boolean }) | null;
  /** Unacknowledged `rollback_failed` deployments, newest first: while there is one, no deploy or rollback starts. */
  stopSigns: DeploymentRow[];
  /** Where the store's word is in doubt (the records folder knows a later success). */
  warnings: string[];
}

/**
 * Pure: the truth about one environment. An unfinished deployment whose process is
 * gone is `interrupted` until the next deploy, rollback or resume finishes it.
 */
export function describeEnvironment(input: {
  app: string;
  environment: string;
  live: DeploymentRow | undefined;
  unfinished: DeploymentRow[];
  lock: LockRow | undefined;
  me: ProcessIdentity;
  nowMs: number;
  rollbackWindow: string;
  stopSigns?: DeploymentRow[];
  warnings?: string[];
}): EnvironmentStatus {
  const { lock, me, nowMs } = input;
  const lockStale = lock ? isStaleHolder(lock, me, nowMs, {}) : true;
  const activity = input.unfinished.map((d): Activity => {
    if (lock && !lockStale && lock.deploymentId === d.id) return { deployment: d, state: d.status === 'awaiting_approval' ? 'awaiting_approval' : 'running', by: null };
    if (lock && !lockStale) return { deployment: d, state: 'recovering', by: lock.deploymentId };
    return { deployment: d, state: 'interrupted', by: null };
  });
  const live = input.live ?? null;
  const deadlineMs = live ? rollbackDeadlineMs(live, toMs(input.rollbackWindow)) : null;
  const target = statusRollbackTarget(live);
  return {
    app: input.app,
    environment: input.environment,
    live,
    rollbackTarget: target,
    rolledBackFrom: live?.kind === 'rollback' ? live.previousVersion : null,
    rollbackDeadline: deadlineMs === null ? null : new Date(deadlineMs).toISOString(),
    rollbackOpen: deadlineMs !== null && nowMs <= deadlineMs && target !== null,
    activity,
    lock: lock ? { ...lock, stale: lockStale } : null,
    stopSigns: input.stopSigns ?? [],
    warnings: input.warnings ?? [],
  };
}

/** Until when `shipgate rollback` may roll back the live deployment (its end plus the window). */
export function rollbackDeadlineMs(live: Pick<DeploymentRow, 'finishedAt' | 'startedAt'>, windowMs: number): number {
  return Date.parse(live.finishedAt ?? live.startedAt) + windowMs;
}

/**
 * Reads what describeEnvironment needs from the store (shared by `shipgate status`
 * and the library); with `recordsDir`, also whether the records folder knows a
 * later success than the store (a lost or replaced store).
 */
export async function readEnvironmentStatus(
  store: Store,
  q: { app: string; environment: string; me: ProcessIdentity; nowMs: number; rollbackWindow: string; recordsDir?: string },
): Promise<EnvironmentStatus> {
  const [stored, unfinished, lock, stopSigns] = await Promise.all([
    store.lastSucceeded(q.app, q.environment),
    store.listUnfinished(q.app, q.environment),
    store.getLock(q.app, q.environment),
    store.listUnacknowledgedFailures(q.app, q.environment),
  ]);
  const recorded = q.recordsDir ? await newestRecordedLive(q.recordsDir, q.app, q.environment) : null;
  const doubt = judgeStore(stored ? { id: stored.id, version: stored.version } : null, recorded, `${q.app}/${q.environment}`);
  // A rollback of the data only changed no app: what is live, and the rollback target, come from the deployment under it.
  const live = await appLive(store, stored);
  return describeEnvironment({ ...q, live, unfinished, lock, stopSigns, warnings: doubt ? [doubt.message] : [] });
}
