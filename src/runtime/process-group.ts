/**
 * Process groups as the OS sees them. Every command shipgate runs leads a group
 * of its own (pgid = its pid); a run that dies leaves the group running, and the
 * next command ends it before it undoes anything (see pipeline/orphans.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { Clock } from './clock.js';
import { startToken } from './process-identity.js';

/** Grace between SIGTERM and SIGKILL, and how long to wait for a group to go after SIGKILL. */
export const DEFAULT_GROUP_GRACE_MS = 5000;
const POLL_MS = 50;

/**
 * Live (non-zombie) members of group `pgid`, from /proc; null where /proc is
 * absent. A zombie cannot act any more and waits only for its reaper.
 */
export function groupMembers(pgid: number): number[] | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const members: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // After the parenthesised command name: state, ppid, pgrp, ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(name));
    } catch {
      // gone while we looked
    }
  }
  return members;
}

export function isGroupAlive(pgid: number): boolean {
  const members = groupMembers(pgid);
  if (members !== null) return members.length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Pure: is the group the journal names still the one our run started? A group id
 * cannot be handed out again while any member lives, so only a live leader with a
 * different start token is somebody else's (our group died and its number was reused).
 */
export function isSameGroup(journaledStart: string | null, leaderStartNow: string | null, alive: boolean): boolean {
  if (!alive) return false;
  return journaledStart === null || leaderStartNow === null || journaledStart === leaderStartNow;
}

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

async function waitGone(pgid: number, ms: number, clock: Clock): Promise<boolean> {
  const until = clock.now() + ms;
  while (isGroupAlive(pgid)) {
    if (clock.now() >= until) return false;
    await clock.sleep(POLL_MS);
  }
  return true;
}

export type GroupEnding = 'gone' | 'SIGTERM' | 'SIGKILL' | 'not ours';

/**
 * Ends group `pgid` if it is still the one started at `start`: SIGTERM, then
 * SIGKILL after the grace; resolves once no member is left (or with SIGKILL
 * after a second grace, when a member cannot die).
 */
export async function endGroup(pgid: number, start: string | null, opts: { clock: Clock; graceMs?: number }): Promise<GroupEnding> {
  const alive = isGroupAlive(pgid);
  if (!alive) return 'gone';
  const leaderAlive = groupMembers(pgid)?.includes(pgid) ?? true;
  if (!isSameGroup(start, leaderAlive ? startToken(pgid) : null, alive)) return 'not ours';
  const grace = opts.graceMs ?? DEFAULT_GROUP_GRACE_MS;
  signalGroup(pgid, 'SIGTERM');
  if (await waitGone(pgid, grace, opts.clock)) return 'SIGTERM';
  signalGroup(pgid, 'SIGKILL');
  await waitGone(pgid, grace, opts.clock);
  return 'SIGKILL';
}
