import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { errorMessage } from '../errors.js';
import { isAlive, startToken } from '../runtime/process-identity.js';
import { openSql } from './connection.js';
import type { SqlClient } from './contract.js';

/**
 * The scratch database of a `verify: restore` proof is named after the process
 * that made it: `shipgate_verify_<random>_<pid>_<start>_<host>` (start: a hash
 * of the boot id and the process start time; host: a hash of the host name). A
 * run killed mid-proof leaves it behind; a later `shipgate backup verify` drops
 * it once it can prove that process is gone: same host, and the pid no longer
 * runs, or runs another process. A name it cannot read, another host's, or one
 * whose process still runs (a proof under way) is never dropped.
 */

export const SCRATCH_PREFIX = 'shipgate_verify_';
const NAME_RE = /^shipgate_verify_[0-9a-f]{8}_(\d{1,10})_([0-9a-f]{8}|none)_([0-9a-f]{8})$/;

const tag = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

export interface ScratchOwner {
  pid: number;
  /** Hash of the start token, or `none` where /proc is absent. */
  start: string;
  host: string;
}

/** The name of a new scratch database, owned by `owner` (this process by default). At most 50 characters. */
export function scratchName(owner: ScratchOwner = currentOwner()): string {
  return `${SCRATCH_PREFIX}${randomBytes(4).toString('hex')}_${owner.pid}_${owner.start}_${owner.host}`;
}

export function currentOwner(): ScratchOwner {
  return ownerOf(process.pid);
}

function ownerOf(pid: number): ScratchOwner {
  const start = startToken(pid);
  return { pid, start: start === null ? 'none' : tag(start), host: tag(hostname()) };
}

/** The owner a scratch name records; null for a name of another form (an older shipgate's: whose it is cannot be told). */
export function parseScratchName(name: string): ScratchOwner | null {
  const m = NAME_RE.exec(name);
  return m ? { pid: Number(m[1]), start: m[2]!, host: m[3]! } : null;
}

export type ScratchJudgement = 'stale' | 'live' | 'unknown';

/**
 * Pure: whether a scratch database's process is provably gone. `running` says
 * whether the pid runs on this host now and, if so, the hash of its start token.
 */
export function judgeScratch(owner: ScratchOwner | null, here: string, running: { alive: boolean; start: string }): ScratchJudgement {
  if (owner === null || owner.host !== here) return 'unknown';
  if (!running.alive) return 'stale';
  // The pid runs: the same process unless its start token says otherwise (none: cannot tell, so it may be).
  return owner.start !== 'none' && running.start !== 'none' && running.start !== owner.start ? 'stale' : 'live';
}

export interface ScratchSweep {
  dropped: string[];
  /** Scratch databases left alone: a proof under way, another host's, or a name whose owner cannot be told. */
  kept: { name: string; why: string }[];
  errors: string[];
}

const LIST_SQL = {
  postgres: `SELECT datname AS name FROM pg_database WHERE datname LIKE 'shipgate\\_verify\\_%' ORDER BY datname`,
  mysql: `SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'shipgate\\\\_verify\\\\_%' ORDER BY SCHEMA_NAME`,
} as const;

const KEPT_WHY: Record<Exclude<ScratchJudgement, 'stale'>, string> = {
  live: 'its process still runs (a proof under way)',
  unknown: 'made on another host or by an older shipgate: whose it is cannot be told',
};

/** Drops the scratch databases on the server at `adminUrl` whose process is provably gone. */
export async function dropStaleScratch(type: 'postgres' | 'mysql', adminUrl: string): Promise<ScratchSweep> {
  const sql = await openSql(type, adminUrl);
  try {
    const out: ScratchSweep = { dropped: [], kept: [], errors: [] };
    const here = tag(hostname());
    for (const { name } of await sql.query<{ name: string }>(LIST_SQL[type])) {
      const owner = parseScratchName(name);
      const judged = judgeScratch(owner, here, owner ? runningAs(owner.pid) : { alive: false, start: 'none' });
      if (judged !== 'stale') out.kept.push({ name, why: KEPT_WHY[judged] });
      else await drop(sql, type, name).then((was) => was && out.dropped.push(name), (err: unknown) => out.errors.push(`${name} not dropped: ${errorMessage(err)}`));
    }
    return out;
  } finally {
    await sql.close();
  }
}

function runningAs(pid: number): { alive: boolean; start: string } {
  return { alive: isAlive(pid, null), start: ownerOf(pid).start };
}

const EXISTS_SQL = {
  postgres: 'SELECT datname AS name FROM pg_database WHERE datname = $1',
  mysql: 'SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
} as const;

/** Drops `name`; false when it was already gone (its own run finished and dropped it after the list was read). */
async function drop(sql: SqlClient, type: 'postgres' | 'mysql', name: string): Promise<boolean> {
  // The name matched NAME_RE: letters, digits and "_" only.
  if (!NAME_RE.test(name)) throw new Error('unexpected scratch database name');
  if ((await sql.query(EXISTS_SQL[type], [name])).length === 0) return false;
  // A pg_restore the killed run left may still be connected: FORCE ends it (nobody reads that database).
  await sql.exec(type === 'postgres' ? `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)` : `DROP DATABASE IF EXISTS \`${name}\``);
  return true;
}
