import type { InstanceInfo, InstanceState } from '../../rollout/contract.js';
import type { ReadinessPhase } from './readiness.js';
import type { Proc } from './spawn.js';

/**
 * One supervised instance: a slot with a stable id and port whose process may
 * be restarted many times. Ids are `<version>#<n>`: readable, and unique in a
 * project's state folder (n continues after the highest id already running or
 * already having a log file), so a log file belongs to exactly one instance.
 * Restarts keep the id (and the log file, with a marker line per run).
 */

/** What an agent hands to its successor to take its instances over. Plain JSON. */
export interface AdoptRecord {
  id: string;
  version: string;
  /** Null when the instance was waiting to be restarted. */
  pid: number | null;
  port: number;
  startToken: string | null;
  state: InstanceState;
  restarts: number;
  startedAt: string;
  readyAt: string | null;
}

export interface Managed {
  id: string;
  version: string;
  port: number;
  state: InstanceState;
  restarts: number;
  /** Start of the current run (ms). */
  startedAt: number;
  readyAt: number | null;
  lastExit: InstanceInfo['lastExit'];
  proc: Proc | null;
  /** Consecutive failures: the backoff attempt. */
  attempt: number;
  /** Recent exit times: crash-loop detection. */
  exits: number[];
  /** Where the readiness watch of the current run begins (adopted instances keep their phase). */
  phase: ReadinessPhase;
  /** Aborting stops the watch loop (stop, detach). */
  ctl: AbortController;
  loop: Promise<void>;
  stopping: Promise<void> | null;
  /** The last InstanceInfo reported (as JSON): onChange fires only on a change. */
  reported: string;
}

export function newManaged(id: string, version: string, port: number, now: number): Managed {
  return {
    id,
    version,
    port,
    state: 'starting',
    restarts: 0,
    startedAt: now,
    readyAt: null,
    lastExit: null,
    proc: null,
    attempt: 0,
    exits: [],
    phase: 'starting',
    ctl: new AbortController(),
    loop: Promise.resolve(),
    stopping: null,
    reported: '',
  };
}

export function toInfo(m: Managed): InstanceInfo {
  const running = m.proc !== null && m.proc.exit === null;
  return {
    id: m.id,
    version: m.version,
    pid: running ? m.proc!.pid : null,
    port: m.port,
    state: m.state,
    restarts: m.restarts,
    startedAt: iso(m.startedAt),
    readyAt: m.readyAt === null ? null : iso(m.readyAt),
    lastExit: m.lastExit,
  };
}

export function toRecord(m: Managed): AdoptRecord {
  const info = toInfo(m);
  const { id, version, pid, port, state, restarts, startedAt, readyAt } = info;
  return { id, version, pid, port, startToken: pid === null ? null : m.proc!.startToken, state, restarts, startedAt, readyAt };
}

/** The managed form of an adopted record (its process is attached by the caller). */
export function fromRecord(r: AdoptRecord, now: number): Managed {
  const m = newManaged(r.id, r.version, r.port, now);
  const started = Date.parse(r.startedAt);
  const ready = r.readyAt === null ? Number.NaN : Date.parse(r.readyAt);
  Object.assign(m, {
    state: r.state,
    restarts: r.restarts,
    startedAt: Number.isNaN(started) ? now : started,
    readyAt: Number.isNaN(ready) ? null : ready,
    phase: r.state === 'ready' ? 'ready' : r.state === 'unhealthy' ? 'unhealthy' : 'starting',
  });
  return m;
}

export function instanceId(version: string, n: number): string {
  return `${version}#${n}`;
}

/** The n of `<version>#<n>` (or of its log file name), or null. */
export function instanceNumber(version: string, name: string): number | null {
  const base = name.endsWith('.log') ? name.slice(0, -4) : name;
  if (!base.startsWith(`${version}#`)) return null;
  const rest = base.slice(version.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
