import { BlockedByFailedRollback, Cancelled, ConfigError, GateBlocked, LockHeld, NotFound, RollbackFailed, RunInterrupted, StoreUnavailable, UsageError } from '../errors.js';
import type { DeploymentStatus } from '../store/contract.js';

/** Exit codes: documented in the README and pinned by tests. */
export const EXIT = {
  ok: 0,
  /** The deploy failed and was rolled back (or had nothing to undo). */
  failed: 1,
  /** Invalid usage or config. */
  usage: 2,
  /** Blocked by a gate. */
  blocked: 3,
  /** Rollback failed: a human must look. */
  rollbackFailed: 4,
  /** The environment's lock is held. */
  locked: 5,
  /** Interrupted (the store stopped answering, an internal error): the next command settles the deployment. */
  interrupted: 6,
  /** An earlier rollback of the environment failed and is not acknowledged (`shipgate ack`): nothing started. */
  stopped: 7,
  cancelled: 130,
} as const;

export function exitCodeForStatus(status: DeploymentStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'blocked':
      return EXIT.blocked;
    case 'rollback_failed':
      return EXIT.rollbackFailed;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof ConfigError || err instanceof UsageError || err instanceof NotFound) return EXIT.usage;
  if (err instanceof GateBlocked) return EXIT.blocked;
  if (err instanceof LockHeld) return EXIT.locked;
  if (err instanceof BlockedByFailedRollback) return EXIT.stopped;
  if (err instanceof RollbackFailed) return EXIT.rollbackFailed;
  if (err instanceof Cancelled) return EXIT.cancelled;
  if (err instanceof RunInterrupted || err instanceof StoreUnavailable) return EXIT.interrupted;
  return EXIT.failed;
}
