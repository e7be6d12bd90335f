/**
 * The state store: one interface, two implementations (SQLite, PostgreSQL) that
 * pass one shared test suite. Timestamps are ISO-8601 UTC strings (sortable as text).
 */

export const DEPLOYMENT_STATUSES = [
  'running', // in progress (a crash leaves it here; `status` then shows "interrupted")
  'awaiting_approval', // parked in the approval gate
  'succeeded',
  'failed', // failed and there was nothing to undo (or rollback.auto is off)
  'blocked', // a gate refused it before anything changed
  'rolled_back', // failed, and every begun stage was undone
  'rollback_failed', // an undo failed: a human must look
  'cancelled', // SIGINT/SIGTERM; begun stages were undone
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set(['succeeded', 'failed', 'blocked', 'rolled_back', 'rollback_failed', 'cancelled']);

export function isTerminal(status: DeploymentStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export type DeploymentKind = 'deploy' | 'rollback';

export interface DeploymentRow {
  id: string;
  app: string;
  environment: string;
  kind: DeploymentKind;
  version: string;
  /** The version that was live when this deployment started (what undo returns to). */
  previousVersion: string | null;
  status: DeploymentStatus;
  triggeredBy: string;
  reason: string | null;
  gitSha: string | null;
  gitRef: string | null;
  /** For kind=rollback: the deployment being rolled back. */
  rollbackOf: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** Stage currently running (for status displays). */
  currentStage: string | null;
  /** Free-form JSON: flags and facts the saga needs to recover (emergency, force, policy...). */
  meta: Record<string, unknown>;
  error: string | null;
}

export type NewDeployment = Omit<DeploymentRow, 'finishedAt' | 'currentStage' | 'error'> &
  Partial<Pick<DeploymentRow, 'finishedAt' | 'currentStage' | 'error'>>;

export type DeploymentPatch = Partial<Pick<DeploymentRow, 'status' | 'finishedAt' | 'currentStage' | 'error' | 'meta' | 'previousVersion'>>;

export interface EventRow {
  /** Monotonic per store. */
  seq: number;
  deploymentId: string;
  at: string;
  type: string;
  stage: string | null;
  step: string | null;
  data: Record<string, unknown>;
}

export type NewEvent = Omit<EventRow, 'seq'>;

/** An event with what it is about (from its deployment row): what a consumer in another process reads. */
export interface StoredEvent extends EventRow {
  context: { deploymentId: string; app: string; environment: string; version: string; kind: DeploymentKind; actor: string };
}

/** Most events one listEventsAfter call returns. */
export const DEFAULT_EVENTS_PAGE = 500;

export interface LockRow {
  app: string;
  environment: string;
  deploymentId: string;
  /** Who started the holder (actor name). */
  holder: string;
  pid: number;
  host: string;
  /** Process start time token, to tell a live holder from a reused pid. */
  processStart: string | null;
  acquiredAt: string;
  heartbeatAt: string;
}

export type AcquireResult = { acquired: true } | { acquired: false; holder: LockRow };

export interface ReleaseRow {
  app: string;
  version: string;
  createdAt: string;
  /** Absolute path of `.shipgate/releases/<version>`, or null when the app has no build. */
  dir: string | null;
  /** sha256 of the manifest file, or null. */
  manifestSha256: string | null;
  /** How to start it (provider-specific JSON, used by the local agent). */
  start: Record<string, unknown>;
  /** Artifact paths relative to `dir`. */
  artifacts: string[];
}

export interface ApprovalRow {
  deploymentId: string;
  approver: string;
  comment: string | null;
  at: string;
}

/** `shipgate ack`: a person looked at a `rollback_failed` deployment; the environment may deploy again. */
export interface AcknowledgementRow {
  deploymentId: string;
  /** Who (actor name). */
  by: string;
  /** What they found or did. */
  reason: string;
  at: string;
}

export interface ListDeploymentsQuery {
  app: string;
  environment?: string;
  /** Only these statuses. */
  statuses?: DeploymentStatus[];
  /** Newest first; at most this many. @default 20 */
  limit?: number;
  /** Page: only ids strictly lower than this one. */
  beforeId?: string;
  kind?: DeploymentKind;
}

export interface Store {
  /** "sqlite" or "postgres" */
  readonly dialect: 'sqlite' | 'postgres';

  createDeployment(row: NewDeployment): Promise<void>;
  updateDeployment(id: string, patch: DeploymentPatch): Promise<void>;
  getDeployment(id: string): Promise<DeploymentRow | undefined>;
  /** Newest first (ids sort by time). */
  listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]>;
  countDeployments(app: string, environment?: string): Promise<number>;
  /** Deployments of app/env whose status is not terminal, oldest first. */
  listUnfinished(app: string, environment: string): Promise<DeploymentRow[]>;
  /** The newest succeeded deployment of app/env: what is live. */
  lastSucceeded(app: string, environment: string): Promise<DeploymentRow | undefined>;

  /** Appends to the journal (append-only); returns the event's seq. */
  appendEvent(event: NewEvent): Promise<number>;
  listEvents(deploymentId: string, afterSeq?: number): Promise<EventRow[]>;
  /**
   * The durable read of the journal: events of every deployment (of `app`, if given) with
   * `seq > afterSeq`, oldest first, at most `limit` (default DEFAULT_EVENTS_PAGE). Events commit in
   * seq order, so a consumer in another process that keeps the last seq it handled and asks
   * again from there gets every event at least once.
   */
  listEventsAfter(afterSeq: number, opts?: { limit?: number; app?: string }): Promise<StoredEvent[]>;

  /** Atomically takes the app/env lock, or returns the current holder. */
  tryAcquireLock(lock: LockRow): Promise<AcquireResult>;
  /**
   * Atomically replaces the lock held by `staleDeploymentId` with `lock`.
   * False when someone else changed the lock in the meantime.
   */
  replaceLock(staleDeploymentId: string, lock: LockRow): Promise<boolean>;
  /** Releases the lock if `deploymentId` holds it. */
  releaseLock(app: string, environment: string, deploymentId: string): Promise<void>;
  getLock(app: string, environment: string): Promise<LockRow | undefined>;
  listLocks(app: string): Promise<LockRow[]>;
  heartbeatLock(app: string, environment: string, deploymentId: string, at: string): Promise<void>;

  upsertRelease(row: ReleaseRow): Promise<void>;
  getRelease(app: string, version: string): Promise<ReleaseRow | undefined>;
  /** Newest first. */
  listReleases(app: string): Promise<ReleaseRow[]>;
  deleteRelease(app: string, version: string): Promise<void>;

  addApproval(row: ApprovalRow): Promise<void>;
  listApprovals(deploymentId: string): Promise<ApprovalRow[]>;

  /** Records an acknowledgement; false (and nothing changes) when the deployment was acknowledged already. */
  acknowledge(row: AcknowledgementRow): Promise<boolean>;
  /** The acknowledgements of these deployments (any order; unknown ids are skipped). */
  listAcknowledgements(deploymentIds: readonly string[]): Promise<AcknowledgementRow[]>;
  /**
   * `rollback_failed` deployments of app/env that nobody acknowledged and that no
   * successful deployment followed, newest first: while there is one, nothing new starts.
   */
  listUnacknowledgedFailures(app: string, environment: string): Promise<DeploymentRow[]>;

  saveRecord(deploymentId: string, record: Record<string, unknown>): Promise<void>;
  getRecord(deploymentId: string): Promise<Record<string, unknown> | undefined>;

  /** The store's own schema version (upgraded automatically on open). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
