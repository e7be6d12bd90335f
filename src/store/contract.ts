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

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;
/** `pending`: to be sent (again) at `nextAt`; `sent`: the receiver took it; `failed`: retries ran out (`shipgate notify retry`). */
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number];

/** An outbox row to write with a journal event: tell `channel` about `event`. */
export interface NewNotification {
  channel: string;
  /** What happened, in the channels' words (`succeeded`, `rollback_failed` ...). */
  event: string;
}

/** One delivery of one event to one channel. Its id is the idempotency key receivers see. */
export interface NotificationRow {
  id: string;
  /** The journal event it tells about (0 for an alert's). */
  seq: number;
  /** The deployment it tells about; null for an alert's. */
  deploymentId: string | null;
  /** The alert it tells about (`alert_firing`, `alert_resolved`); null for a deployment's. */
  alertId: string | null;
  channel: string;
  event: string;
  status: NotificationStatus;
  attempts: number;
  /** When it is due (pending), or until when a sender holds it. */
  nextAt: string;
  createdAt: string;
  sentAt: string | null;
  lastError: string | null;
}

export const ALERT_STATUSES = ['firing', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** An alert of a `monitor:` rule: opened when the rule fires, resolved by its recovery or through the API. */
export interface AlertRow {
  id: string;
  app: string;
  environment: string;
  /** The rule's name. */
  rule: string;
  /** The rule's type: `error-rate`, `health`, `uptime`. */
  kind: string;
  status: AlertStatus;
  /** What fired, in words (masked before it is stored). */
  summary: string;
  /** Figures of the firing (value, threshold, url ...). */
  details: Record<string, unknown>;
  firedAt: string;
  resolvedAt: string | null;
  /** `monitor` when it recovered, else who resolved it through the API. */
  resolvedBy: string | null;
  resolution: string | null;
}

export type NewAlert = Omit<AlertRow, 'status' | 'resolvedAt' | 'resolvedBy' | 'resolution'>;

/** A metric recorded through `POST /api/monitoring/deployment` (`action: "metric"`). */
export interface MetricRecord {
  app: string;
  environment: string;
  at: string;
  deploymentId: string | null;
  phase: string;
  status: string | null;
  durationMs: number | null;
  requests: number | null;
  errors: number | null;
  /** Everything that was sent, as sent (after validation). */
  data: Record<string, unknown>;
}

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

/** `shipgate incident export --type`: what kind of incident. */
export const INCIDENT_TYPES = ['rollback', 'outage', 'degradation', 'security', 'data', 'other'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];
/** `--severity`, PagerDuty's four levels. */
export const INCIDENT_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];
export type IncidentStatus = 'open' | 'resolved';

/** An incident exported to the audit trail, linked to deployments; its resolution ends a time to restore. */
export interface IncidentRow {
  id: string;
  app: string;
  environment: string;
  type: IncidentType;
  severity: IncidentSeverity;
  details: string;
  status: IncidentStatus;
  /** The deployments it concerns, the first one carrying its journal event. */
  deploymentIds: string[];
  openedBy: string;
  openedAt: string;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolution: string | null;
}

export interface ListIncidentsQuery {
  app: string;
  environment?: string;
  status?: IncidentStatus;
  /** Only those opened at or after this time. */
  openedSince?: string;
  /** Newest first; at most this many. @default 50 */
  limit?: number;
}

/** A deployment's report: the failure report, or the rollback instructions of a success. */
export type ReportKind = 'failure' | 'success';

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

  /**
   * Appends to the journal (append-only); returns the event's seq. `notifications` go to the
   * outbox in the same transaction: an event is never journaled without its deliveries.
   */
  appendEvent(event: NewEvent, notifications?: readonly NewNotification[]): Promise<number>;
  /** Appends an event from outside a run (an agent's) unless one with `id` was: exactly once, however often it is offered. Resolves to its seq, or null when it was there. */
  appendEventOnce(id: string, event: NewEvent): Promise<number | null>;
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

  createIncident(row: IncidentRow): Promise<void>;
  getIncident(id: string): Promise<IncidentRow | undefined>;
  /** Newest first. */
  listIncidents(query: ListIncidentsQuery): Promise<IncidentRow[]>;
  /** Resolves an open incident; false (and nothing changes) when it was resolved already. */
  resolveIncident(id: string, resolution: { by: string; at: string; text: string | null }): Promise<boolean>;

  /** Keeps a deployment's report (overwritten on save). */
  saveReport(deploymentId: string, kind: ReportKind, report: Record<string, unknown>): Promise<void>;
  getReport(deploymentId: string): Promise<{ kind: ReportKind; report: Record<string, unknown> } | undefined>;

  /** Pending notifications due at `now`, oldest first. */
  listDueNotifications(now: string, limit: number): Promise<NotificationRow[]>;
  /** Notifications, newest first; only those of `status` when given. */
  listNotifications(query: { status?: NotificationStatus; limit: number }): Promise<NotificationRow[]>;
  getNotification(id: string): Promise<NotificationRow | undefined>;
  /**
   * Takes a due notification for one attempt: moves its `nextAt` from `expectedNextAt` to `leaseUntil`.
   * False when another sender took it first (it then sends it, not this one).
   */
  claimNotification(id: string, expectedNextAt: string, leaseUntil: string): Promise<boolean>;
  /**
   * The outcome of one attempt: sent, or failed with the next try at `nextAt` (null: give up).
   * Written only while the row is still held under `lease` (the claim's `leaseUntil`); false when
   * the lease ran out and another sender took the row (its outcome wins).
   */
  finishNotification(id: string, lease: string, outcome: { sentAt: string } | { error: string; nextAt: string | null }): Promise<boolean>;
  /**
   * Rows cut off when their sender stopped, released in one write: each still held under its
   * lease becomes due at `nextAt` with `error` (not a failure of its channel); returns how many.
   */
  releaseNotifications(held: readonly { id: string; lease: string }[], outcome: { error: string; nextAt: string }): Promise<number>;
  /** Failed notifications (those of `ids`, or all) become pending again, due at `now`; returns how many. */
  retryNotifications(now: string, ids?: readonly string[]): Promise<number>;

  /** An alert of a monitor rule (what its notifications tell about). */
  getAlert(id: string): Promise<AlertRow | undefined>;

  /** The store's own schema version (upgraded automatically on open). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
