import { LockHeld } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import { isAlive, type ProcessIdentity } from '../runtime/process-identity.js';
import type { LockRow, Store } from '../store/contract.js';

export const DEFAULT_LOCK_POLL_MS = 1000;
/** A holder on another host is presumed dead after this long without a heartbeat. */
export const DEFAULT_LOCK_STALE_MS = 2 * 60_000;
export const DEFAULT_HEARTBEAT_MS = 10_000;

export interface LockRequest {
  app: string;
  environment: string;
  deploymentId: string;
  holder: string;
  identity: ProcessIdentity;
  /** Keep trying this long before giving up with LockHeld. @default 0 */
  waitMs?: number;
  signal?: AbortSignal;
}

export interface LockDeps {
  store: Store;
  clock: Clock;
  isAlive?: (pid: number, start: string | null) => boolean;
  staleMs?: number;
}

export interface AcquiredLock {
  row: LockRow;
  /** The dead holder this lock was taken over from, if any. */
  tookOverFrom: LockRow | null;
}

/** Pure: is this holder gone? Same host -> process check; other host -> heartbeat age. */
export function isStaleHolder(holder: LockRow, me: ProcessIdentity, nowMs: number, deps: Pick<LockDeps, 'isAlive' | 'staleMs'>): boolean {
  if (holder.host === me.host) return !(deps.isAlive ?? isAlive)(holder.pid, holder.processStart);
  return nowMs - Date.parse(holder.heartbeatAt) > (deps.staleMs ?? DEFAULT_LOCK_STALE_MS);
}

/** Takes the app/env lock, taking over a dead holder's lock; waits up to `waitMs`. */
export async function acquireLock(req: LockRequest, deps: LockDeps): Promise<AcquiredLock> {
  const started = deps.clock.now();
  for (;;) {
    const now = new Date(deps.clock.now()).toISOString();
    const row: LockRow = {
      app: req.app,
      environment: req.environment,
      deploymentId: req.deploymentId,
      holder: req.holder,
      pid: req.identity.pid,
      host: req.identity.host,
      processStart: req.identity.start,
      acquiredAt: now,
      heartbeatAt: now,
    };
    const res = await deps.store.tryAcquireLock(row);
    // Our own row: a retried insert whose first try committed before the connection dropped.
    if (res.acquired || res.holder.deploymentId === row.deploymentId) return { row, tookOverFrom: null };
    if (isStaleHolder(res.holder, req.identity, deps.clock.now(), deps)) {
      if (await deps.store.replaceLock(res.holder.deploymentId, row)) return { row, tookOverFrom: res.holder };
      continue;
    }
    const waited = deps.clock.now() - started;
    if (waited >= (req.waitMs ?? 0)) {
      const h = res.holder;
      throw new LockHeld(req.app, req.environment, { deploymentId: h.deploymentId, holder: h.holder, pid: h.pid, host: h.host, acquiredAt: h.acquiredAt }, req.waitMs ? waited : undefined);
    }
    await deps.clock.sleep(Math.min(DEFAULT_LOCK_POLL_MS, (req.waitMs ?? 0) - waited), req.signal);
  }
}

/** Heartbeats the lock until stopped; returns the stop function. Failures are reported, not thrown. */
export function startHeartbeat(lock: LockRow, store: Store, clock: Clock, onError: (err: unknown) => void, everyMs = DEFAULT_HEARTBEAT_MS): () => void {
  const timer = setInterval(() => {
    store.heartbeatLock(lock.app, lock.environment, lock.deploymentId, new Date(clock.now()).toISOString()).catch(onError);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
