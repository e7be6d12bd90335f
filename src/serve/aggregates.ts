/**
 * Counts and mean durations over a long history without reading all of it on every
 * request. Deployments older than the oldest one still in progress, and older than
 * SETTLE_MS, are settled: their status and times no longer change and no runner
 * inserts among them (ids are taken at insert time). Their aggregates are kept and
 * extended as the settled boundary moves; only the recent rows are read each time.
 */
import type { DeploymentFacts, GroupAggregate, SqlStore } from '../store/index.js';
import { firstIdAt } from './dora.js';

/** Rows younger than this are always read fresh (room for runners' clocks to differ). */
export const SETTLE_MS = 3_600_000;

/** Pure: the sum of aggregates, one entry per environment, kind and status. */
export function mergeAggregates(...parts: readonly GroupAggregate[][]): GroupAggregate[] {
  const merged = new Map<string, GroupAggregate>();
  for (const a of parts.flat()) {
    const key = `${a.environment}\u0000${a.kind}\u0000${a.status}`;
    const m = merged.get(key);
    merged.set(key, m ? { ...m, count: m.count + a.count, finished: m.finished + a.finished, durationMs: m.durationMs + a.durationMs } : { ...a });
  }
  return [...merged.values()];
}

/** Pure: the settled boundary: the oldest unfinished id, or the first id of `now - SETTLE_MS` if that is older. */
export function settledBoundary(oldestUnfinished: string | null, nowMs: number): string {
  const byTime = firstIdAt(new Date(nowMs - SETTLE_MS).toISOString());
  return oldestUnfinished !== null && oldestUnfinished < byTime ? oldestUnfinished : byTime;
}

export class DeploymentAggregates {
  private settled: { below: string; groups: GroupAggregate[] } | undefined;

  constructor(
    private readonly store: SqlStore,
    private readonly app: string,
    private readonly now: () => number,
  ) {}

  /** Every deployment of the app, aggregated. */
  async current(): Promise<GroupAggregate[]> {
    const below = settledBoundary(await this.store.oldestUnfinishedId(this.app), this.now());
    const settled = await this.settledBelow(below);
    return mergeAggregates(settled, await this.store.aggregateDeployments(this.app, { fromId: below }));
  }

  private async settledBelow(below: string): Promise<GroupAggregate[]> {
    const kept = this.settled;
    // The boundary only moves back when an old deployment is in progress again (recovery); then start over.
    const groups =
      kept === undefined || below < kept.below
        ? await this.store.aggregateDeployments(this.app, { toId: below })
        : below === kept.below
          ? kept.groups
          : mergeAggregates(kept.groups, await this.store.aggregateDeployments(this.app, { fromId: kept.below, toId: below }));
    this.settled = { below, groups };
    return groups;
  }
}

/**
 * What DORA needs of every deployment from `fromId` on: the settled rows are kept (and
 * trimmed as the window moves), only the rows after the settled boundary are read again.
 */
export class RecentFacts {
  private settled: { fromId: string; below: string; rows: DeploymentFacts[] } | undefined;

  constructor(
    private readonly store: SqlStore,
    private readonly app: string,
    private readonly now: () => number,
  ) {}

  async from(fromId: string): Promise<DeploymentFacts[]> {
    const below = settledBoundary(await this.store.oldestUnfinishedId(this.app), this.now());
    const kept = this.settled;
    const fresh = kept === undefined || below < kept.below || fromId < kept.fromId;
    const start = fresh ? fromId : kept.below;
    const added = start < below ? await this.store.listFactsBetween(this.app, start, below) : [];
    const rows = [...(fresh ? [] : kept.rows), ...added].filter((f) => f.id >= fromId);
    this.settled = { fromId, below, rows };
    return [...rows, ...(await this.store.listFactsBetween(this.app, below > fromId ? below : fromId))];
  }
}
