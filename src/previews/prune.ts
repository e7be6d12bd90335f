import { humanDuration } from '../config/duration.js';
import type { PreviewRecord } from './records.js';

/** What prune decided for one preview, and why: `--json` lists these, the text output says the same. */
export interface PruneEntry {
  pr: number;
  environment: string;
  /** Fly.io: the preview app. */
  app?: string;
  /** The newest sign of life prune measured from (ISO time), null when there is none. */
  lastActivity: string | null;
  /** Why it goes or stays, for a person. */
  reason: string;
}

export interface PrunePlan {
  remove: PruneEntry[];
  keep: PruneEntry[];
}

/** Pure: the previews last brought up more than `olderThanMs` before `now` (a preview updated on each push stays). */
export function stalePreviews(records: readonly PreviewRecord[], now: number, olderThanMs: number): PreviewRecord[] {
  return records.filter((r) => {
    const at = Date.parse(r.updatedAt);
    // A record whose time cannot be read is stale: better removed than kept forever.
    return Number.isNaN(at) || now - at > olderThanMs;
  });
}

/** Pure: `what` happened `now - at` ago, longer ago than `olderThanMs` or within it. */
export function ageReason(what: string, at: number, now: number, olderThanMs: number): string {
  const age = humanDuration(Math.max(0, now - at));
  return now - at > olderThanMs ? `${what} ${age} ago, longer ago than ${humanDuration(olderThanMs)}` : `${what} ${age} ago, within ${humanDuration(olderThanMs)}`;
}

/** Pure: the plan from this host's records alone (local previews exist only on the host that runs them). */
export function planRecordPrune(records: readonly PreviewRecord[], now: number, olderThanMs: number): PrunePlan {
  const stale = stalePreviews(records, now, olderThanMs);
  const entry = (r: PreviewRecord): PruneEntry => {
    const at = Date.parse(r.updatedAt);
    const base = { pr: r.pr, environment: r.environment, ...(r.app !== undefined ? { app: r.app } : {}) };
    if (Number.isNaN(at)) return { ...base, lastActivity: null, reason: `its record's time cannot be read (${JSON.stringify(r.updatedAt)})` };
    return { ...base, lastActivity: new Date(at).toISOString(), reason: ageReason('last brought up', at, now, olderThanMs) };
  };
  return { remove: stale.map(entry), keep: records.filter((r) => !stale.includes(r)).map(entry) };
}
