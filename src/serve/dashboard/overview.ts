/**
 * `GET /api/dashboard/overview`: what the dashboard's top shows, in one answer: each
 * environment's live version and rollback deadline, what is running there, and DORA's
 * four keys. Read from the store on each request.
 */
import { appLive } from '../../pipeline/app-live.js';
import { rollbackDeadlineMs } from '../../pipeline/environment-status.js';
import { statusRollbackTarget } from '../../pipeline/rollback-target.js';
import type { DeploymentRow, LockRow, SqlStore } from '../../store/index.js';
import type { RecentFacts } from '../aggregates.js';
import { computeDora, doraWindow, firstIdAt, type DoraKeys, type DoraWindow } from '../dora.js';

export interface EnvironmentCard {
  environment: string;
  live: { deploymentId: string; version: string; kind: string; finishedAt: string | null; triggeredBy: string } | null;
  rollback: { target: string | null; deadline: string | null; open: boolean };
  running: { deploymentId: string; kind: string; version: string; previousVersion: string | null; status: string; stage: string | null; startedAt: string }[];
  lock: { deploymentId: string; holder: string; since: string } | null;
}

export interface Overview {
  app: string;
  at: string;
  environments: EnvironmentCard[];
  dora: { window: DoraWindow; environments: DoraKeys[] };
}

/** Pure: one environment's card from what the store says. */
export function environmentCard(input: { environment: string; live: DeploymentRow | undefined; unfinished: DeploymentRow[]; lock: LockRow | undefined; rollbackWindowMs: number; nowMs: number }): EnvironmentCard {
  const live = input.live ?? null;
  const deadlineMs = live ? rollbackDeadlineMs(live, input.rollbackWindowMs) : null;
  const target = statusRollbackTarget(live);
  return {
    environment: input.environment,
    live: live && { deploymentId: live.id, version: live.version, kind: live.kind, finishedAt: live.finishedAt, triggeredBy: live.triggeredBy },
    rollback: { target, deadline: deadlineMs === null ? null : new Date(deadlineMs).toISOString(), open: deadlineMs !== null && input.nowMs <= deadlineMs && target !== null },
    running: input.unfinished.map((d) => ({ deploymentId: d.id, kind: d.kind, version: d.version, previousVersion: d.previousVersion, status: d.status, stage: d.currentStage, startedAt: d.startedAt })),
    lock: input.lock ? { deploymentId: input.lock.deploymentId, holder: input.lock.holder, since: input.lock.acquiredAt } : null,
  };
}

export interface OverviewDeps {
  store: SqlStore;
  app: string;
  facts: RecentFacts;
  rollbackWindowMs: number;
  now: () => number;
}

async function readCard(deps: OverviewDeps, environment: string, nowMs: number): Promise<EnvironmentCard> {
  const [stored, unfinished, lock] = await Promise.all([deps.store.lastSucceeded(deps.app, environment), deps.store.listUnfinished(deps.app, environment), deps.store.getLock(deps.app, environment)]);
  const live = await appLive(deps.store, stored);
  return environmentCard({ environment, live, unfinished, lock, rollbackWindowMs: deps.rollbackWindowMs, nowMs });
}

export async function readOverview(deps: OverviewDeps): Promise<Overview> {
  const nowMs = deps.now();
  const window = doraWindow(nowMs);
  const [environments, facts] = await Promise.all([deps.store.listEnvironments(deps.app), deps.facts.from(firstIdAt(window.from))]);
  const cards = await Promise.all(environments.map((e) => readCard(deps, e, nowMs)));
  return { app: deps.app, at: new Date(nowMs).toISOString(), environments: cards, dora: { window, environments: environments.map((e) => computeDora(facts, e, window)) } };
}
