/**
 * DORA's four keys from the store's deployments: a pure function of the facts and a
 * window, so the figures can be checked against a hand-computed fixture.
 *
 * - Deployment frequency: succeeded deploys (not rollbacks) finished in the window, per day.
 * - Lead time for changes: median of commit time to live (finished_at) over those deploys
 *   that recorded their commit time (`meta.commitAt`); null when none did.
 * - Change failure rate: failed changes / changes, where a change is a deploy that finished in
 *   the window as succeeded, failed, rolled_back or rollback_failed (blocked and cancelled
 *   deploys changed nothing); a succeeded deploy that a later rollback names counts as failed.
 * - Time to restore: median over failed changes of the time until service was restored:
 *   a rolled-back deploy is restored when its automatic undo ends (finished_at - started_at);
 *   a deploy rolled back by hand, when that rollback succeeded (rollback finished_at - deploy
 *   finished_at); a failed or rollback_failed deploy, when the next deployment of its
 *   environment succeeded. Failures not restored yet are left out.
 *   Incidents (`shipgate incident export|resolve`) take part: a failed change ends at the
 *   earliest of the rule above and the resolution of an incident linked to it (or to its
 *   manual rollback), so an incident resolved later, as documentation, never lengthens it;
 *   an incident opened in the window that is linked to no failed change (service degraded
 *   with no failed deploy) is one more sample, from its opening to its resolution.
 *   Incidents do not change the change failure rate: shipgate cannot tell whether a
 *   deployment it is linked to caused it.
 */
import type { DeploymentFacts } from '../store/monitoring.js';

export const DEFAULT_DORA_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

/** What DORA needs of an incident. */
export interface IncidentFacts {
  environment: string;
  openedAt: string;
  resolvedAt: string | null;
  deploymentIds: readonly string[];
}

export interface DoraWindow {
  /** Inclusive, ISO-8601 UTC. */
  from: string;
  /** Exclusive, ISO-8601 UTC. */
  to: string;
}

export interface DoraKeys {
  environment: string;
  deployments: number;
  deploymentFrequencyPerDay: number;
  leadTimeSeconds: number | null;
  changeFailureRate: number | null;
  timeToRestoreSeconds: number | null;
}

const CHANGE_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'rolled_back', 'rollback_failed']);

function inWindow(at: string | null, w: DoraWindow): at is string {
  return at !== null && at >= w.from && at < w.to;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const seconds = (fromIso: string, toIso: string): number => (Date.parse(toIso) - Date.parse(fromIso)) / 1000;

/** When the failure of `d` ended, or null while it lasts. `later` is its environment's deployments after it, oldest first. */
function restoredAt(d: DeploymentFacts, manualRollback: DeploymentFacts | undefined, later: DeploymentFacts[]): string | null {
  if (manualRollback) return manualRollback.finishedAt;
  if (d.status === 'rolled_back') return d.finishedAt;
  return later.find((n) => n.status === 'succeeded')?.finishedAt ?? null;
}

const earliest = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : Date.parse(a) <= Date.parse(b) ? a : b);

/** The earliest resolution of the incidents linked to any of `ids`, or null. */
function resolvedByIncident(incidents: readonly IncidentFacts[], ids: ReadonlySet<string>): string | null {
  return incidents.filter((i) => i.deploymentIds.some((d) => ids.has(d))).reduce<string | null>((end, i) => earliest(end, i.resolvedAt), null);
}

function restoreSeconds(d: DeploymentFacts, manualRollback: DeploymentFacts | undefined, later: DeploymentFacts[], incidents: readonly IncidentFacts[]): number | null {
  const linked = new Set([d.id, ...(manualRollback ? [manualRollback.id] : [])]);
  const end = earliest(restoredAt(d, manualRollback, later), resolvedByIncident(incidents, linked));
  if (end === null) return null;
  const start = d.status === 'rolled_back' && !manualRollback ? d.startedAt : (d.finishedAt ?? d.startedAt);
  return seconds(start, end);
}

/** Samples of incidents opened in the window, resolved, and linked to no failed change (nor to a rollback of one). */
function standaloneRestores(incidents: readonly IncidentFacts[], failedIds: ReadonlySet<string>, window: DoraWindow): number[] {
  return incidents
    .filter((i) => inWindow(i.openedAt, window) && i.resolvedAt !== null && !i.deploymentIds.some((d) => failedIds.has(d)))
    .map((i) => seconds(i.openedAt, i.resolvedAt!));
}

/** The four keys of one environment. `facts` and `incidents` may hold other environments and any order. */
export function computeDora(facts: readonly DeploymentFacts[], environment: string, window: DoraWindow, allIncidents: readonly IncidentFacts[] = []): DoraKeys {
  const incidents = allIncidents.filter((i) => i.environment === environment);
  const env = facts.filter((f) => f.environment === environment).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const rollbacks = new Map(env.filter((f) => f.kind === 'rollback' && f.status === 'succeeded' && f.rollbackOf !== null).map((f) => [f.rollbackOf!, f]));
  const changes = env.filter((f) => f.kind === 'deploy' && CHANGE_STATUSES.has(f.status) && inWindow(f.finishedAt, window));
  const succeeded = changes.filter((f) => f.status === 'succeeded');
  const failed = changes.filter((f) => f.status !== 'succeeded' || rollbacks.has(f.id));
  const days = (Date.parse(window.to) - Date.parse(window.from)) / DAY_MS;
  const leads = succeeded.filter((f) => f.commitAt !== null).map((f) => seconds(f.commitAt!, f.finishedAt!));
  const position = new Map(env.map((f, i) => [f, i]));
  const restores = failed
    .map((f) => restoreSeconds(f, rollbacks.get(f.id), env.slice(position.get(f)! + 1), incidents))
    .filter((s): s is number => s !== null);
  // Every failed change, in the window or not, and the rollbacks of those rolled back by hand.
  const failedEver = env.filter((f) => f.kind === 'deploy' && (['failed', 'rolled_back', 'rollback_failed'].includes(f.status) || rollbacks.has(f.id)));
  const failedIds = new Set(failedEver.flatMap((f) => [f.id, ...(rollbacks.has(f.id) ? [rollbacks.get(f.id)!.id] : [])]));
  restores.push(...standaloneRestores(incidents, failedIds, window));
  return {
    environment,
    deployments: succeeded.length,
    deploymentFrequencyPerDay: days > 0 ? succeeded.length / days : 0,
    leadTimeSeconds: median(leads),
    changeFailureRate: changes.length === 0 ? null : failed.length / changes.length,
    timeToRestoreSeconds: median(restores),
  };
}

/** The window of the last `days` days before `nowMs`. */
export function doraWindow(nowMs: number, days = DEFAULT_DORA_WINDOW_DAYS): DoraWindow {
  return { from: new Date(nowMs - days * DAY_MS).toISOString(), to: new Date(nowMs).toISOString() };
}

/** The smallest deployment id that can start at or after `iso` (ids begin with their start time). */
export function firstIdAt(iso: string): string {
  return `dep_${iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '')}`;
}
