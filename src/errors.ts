import { parseConfigIssue, type ConfigIssue } from './config/paths.js';

export type { ConfigIssue } from './config/paths.js';

/**
 * The few named error classes of shipgate. Each wraps its `cause` with context.
 * Only the CLI catches everything and maps a class to an exit code.
 */

export class ShipgateError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The config file is missing, unreadable or invalid. `issues` are one line each: `path: message`; `details` has them structured. */
export class ConfigError extends ShipgateError {
  readonly issues: string[];
  readonly details: ConfigIssue[];
  constructor(message: string, issues: string[] = [], options?: { cause?: unknown }) {
    super(issues.length > 0 ? `${message}\n${issues.map((i) => `  ${i}`).join('\n')}` : message, options);
    this.issues = issues;
    this.details = issues.map(parseConfigIssue);
  }
}

/** A flag, argument or API body is invalid. */
export class UsageError extends ShipgateError {}

/** A gate refused the deployment. */
export class GateBlocked extends ShipgateError {
  readonly gate: string;
  constructor(gate: string, reason: string, options?: { cause?: unknown }) {
    super(`blocked by gate "${gate}": ${reason}`, options);
    this.gate = gate;
  }
}

/** A stage of the saga failed. */
export class StageFailed extends ShipgateError {
  readonly stage: string;
  /** What the stage found before failing (kept in the journal and the record). */
  readonly output: Record<string, unknown> | undefined;
  /** The message without the `stage "x" failed:` prefix. */
  readonly detail: string;
  constructor(stage: string, message: string, options?: { cause?: unknown; output?: Record<string, unknown> }) {
    super(`stage "${stage}" failed: ${message}`, options);
    this.stage = stage;
    this.detail = message;
    this.output = options?.output;
  }
}

/** The deployment ran past its deadline (`timeout`). */
export class DeadlineExceeded extends ShipgateError {}

export interface LockHolder {
  deploymentId: string;
  holder: string;
  pid: number;
  host: string;
  acquiredAt: string;
}

/** Another deployment holds the environment's lock. */
export class LockHeld extends ShipgateError {
  readonly holderInfo: LockHolder;
  constructor(app: string, environment: string, holder: LockHolder, waitedMs?: number) {
    const waited = waitedMs === undefined ? '' : ` (waited ${Math.round(waitedMs / 1000)}s)`;
    super(
      `${app}/${environment} is locked by deployment ${holder.deploymentId} ` +
        `(by ${holder.holder}, since ${holder.acquiredAt}, pid ${holder.pid} on ${holder.host})${waited}`,
    );
    this.holderInfo = holder;
  }
}

/** Undo failed: the system is in an unknown state and a human must look. */
export class RollbackFailed extends ShipgateError {}

/**
 * An earlier deployment of the environment ended `rollback_failed` and nobody has
 * acknowledged it (`shipgate ack`): what runs there is unknown, so no deploy or
 * rollback starts on top of it.
 */
export class BlockedByFailedRollback extends ShipgateError {
  constructor(
    message: string,
    /** The unacknowledged `rollback_failed` deployments, newest first. */
    readonly deploymentIds: string[],
  ) {
    super(message);
  }
}

/** The run was cancelled by SIGINT/SIGTERM or an abort signal. */
export class Cancelled extends ShipgateError {
  constructor(message = 'cancelled') {
    super(message);
  }
}

/**
 * The run stopped without finishing: the store stopped answering, or an internal
 * error. Its deployment is left unfinished, with its journal and lock, and the next
 * command (deploy, rollback or resume) settles it. Exit code 6.
 */
export class RunInterrupted extends ShipgateError {
  constructor(
    readonly deploymentId: string | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The state store did not answer within its retry budget (store.retry); see store/resilient.ts. */
export class StoreUnavailable extends ShipgateError {}

/** The thing asked for does not exist (deployment id, release version...). */
export class NotFound extends ShipgateError {}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
