/** The one {@link Store} implementation: hand-written SQL over a {@link SqlDriver} (SQLite or PostgreSQL). */
import type {
  AcknowledgementRow,
  AlertRow,
  MetricRecord,
  NewAlert,
  AcquireResult,
  ApprovalRow,
  DeploymentPatch,
  DeploymentRow,
  EventRow,
  IncidentRow,
  ListDeploymentsQuery,
  ListIncidentsQuery,
  LockRow,
  NewDeployment,
  NewEvent,
  NewNotification,
  NotificationRow,
  NotificationStatus,
  ReleaseRow,
  ReportKind,
  Store,
  StoredEvent,
} from './contract.js';
import { DEFAULT_EVENTS_PAGE } from './contract.js';
import * as deployments from './deployments.js';
import type { SqlDriver } from './driver.js';
import { migrate, selectVersion, type MigrationResult } from './migrate.js';
import type { Migration } from './migrations.js';
import type { DeploymentFacts, GroupAggregate } from './monitoring.js';
import type { ListAlertsQuery, Resolution } from './alerts.js';

/** Loads a table module on first use: `history` needs only deployments, and every module costs start-up time. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

const acknowledgements = lazy(() => import('./acknowledgements.js'));
const alerts = lazy(() => import('./alerts.js'));
const metrics = lazy(() => import('./metrics.js'));
const approvals = lazy(() => import('./approvals.js'));
const events = lazy(() => import('./events.js'));
const incidents = lazy(() => import('./incidents.js'));
const locks = lazy(() => import('./locks.js'));
const notifications = lazy(() => import('./notifications.js'));
const monitoring = lazy(() => import('./monitoring.js'));
const records = lazy(() => import('./records.js'));
const releases = lazy(() => import('./releases.js'));
const reports = lazy(() => import('./reports.js'));

export class SqlStore implements Store {
  readonly dialect: 'sqlite' | 'postgres';

  private constructor(
    private readonly db: SqlDriver,
    /** What opening did to the schema. */
    readonly migration: MigrationResult,
  ) {
    this.dialect = db.dialect.name;
  }

  /** Takes ownership of `driver`: upgrades its schema, or closes it and throws. */
  static async open(driver: SqlDriver, migrations?: readonly Migration[]): Promise<SqlStore> {
    try {
      return new SqlStore(driver, await migrate(driver, migrations));
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw err;
    }
  }

  createDeployment(row: NewDeployment): Promise<void> {
    return deployments.createDeployment(this.db, row);
  }

  /** Bulk path (imports, tests, benchmarks): all rows in one transaction. */
  insertDeployments(rows: readonly NewDeployment[]): Promise<void> {
    return this.db.transaction((tx) => deployments.insertDeployments(tx, rows));
  }

  updateDeployment(id: string, patch: DeploymentPatch): Promise<void> {
    return deployments.updateDeployment(this.db, id, patch);
  }

  getDeployment(id: string): Promise<DeploymentRow | undefined> {
    return deployments.getDeployment(this.db, id);
  }

  listDeployments(query: ListDeploymentsQuery): Promise<DeploymentRow[]> {
    return deployments.listDeployments(this.db, query);
  }

  countDeployments(app: string, environment?: string): Promise<number> {
    return deployments.countDeployments(this.db, app, environment);
  }

  listUnfinished(app: string, environment: string): Promise<DeploymentRow[]> {
    return deployments.listUnfinished(this.db, app, environment);
  }

  lastSucceeded(app: string, environment: string): Promise<DeploymentRow | undefined> {
    return deployments.lastSucceeded(this.db, app, environment);
  }

  async appendEvent(event: NewEvent, outbox?: readonly NewNotification[]): Promise<number> {
    return (await events()).appendEvent(this.db, event, outbox);
  }

  async appendEventOnce(id: string, event: NewEvent): Promise<number | null> {
    return (await events()).appendEventOnce(this.db, id, event);
  }

  async listEvents(deploymentId: string, afterSeq?: number): Promise<EventRow[]> {
    return (await events()).listEvents(this.db, deploymentId, afterSeq);
  }

  async listEventsAfter(afterSeq: number, opts: { limit?: number; app?: string } = {}): Promise<StoredEvent[]> {
    const limit = opts.limit ?? DEFAULT_EVENTS_PAGE;
    if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new RangeError(`listEventsAfter: afterSeq must be a whole number >= 0 (got ${afterSeq})`);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`listEventsAfter: limit must be a whole number >= 1 (got ${limit})`);
    return (await events()).listEventsAfter(this.db, afterSeq, { limit, ...(opts.app === undefined ? {} : { app: opts.app }) });
  }

  async tryAcquireLock(lock: LockRow): Promise<AcquireResult> {
    return (await locks()).tryAcquireLock(this.db, lock);
  }

  async replaceLock(staleDeploymentId: string, lock: LockRow): Promise<boolean> {
    return (await locks()).replaceLock(this.db, staleDeploymentId, lock);
  }

  async releaseLock(app: string, environment: string, deploymentId: string): Promise<void> {
    return (await locks()).releaseLock(this.db, app, environment, deploymentId);
  }

  async getLock(app: string, environment: string): Promise<LockRow | undefined> {
    return (await locks()).getLock(this.db, app, environment);
  }

  async listLocks(app: string): Promise<LockRow[]> {
    return (await locks()).listLocks(this.db, app);
  }

  async heartbeatLock(app: string, environment: string, deploymentId: string, at: string): Promise<void> {
    return (await locks()).heartbeatLock(this.db, app, environment, deploymentId, at);
  }

  async upsertRelease(row: ReleaseRow): Promise<void> {
    return (await releases()).upsertRelease(this.db, row);
  }

  async getRelease(app: string, version: string): Promise<ReleaseRow | undefined> {
    return (await releases()).getRelease(this.db, app, version);
  }

  async listReleases(app: string): Promise<ReleaseRow[]> {
    return (await releases()).listReleases(this.db, app);
  }

  async deleteRelease(app: string, version: string): Promise<void> {
    return (await releases()).deleteRelease(this.db, app, version);
  }

  async addApproval(row: ApprovalRow): Promise<void> {
    return (await approvals()).addApproval(this.db, row);
  }

  async listApprovals(deploymentId: string): Promise<ApprovalRow[]> {
    return (await approvals()).listApprovals(this.db, deploymentId);
  }

  async acknowledge(row: AcknowledgementRow): Promise<boolean> {
    return (await acknowledgements()).acknowledge(this.db, row);
  }

  async listAcknowledgements(deploymentIds: readonly string[]): Promise<AcknowledgementRow[]> {
    return (await acknowledgements()).listAcknowledgements(this.db, deploymentIds);
  }

  listUnacknowledgedFailures(app: string, environment: string): Promise<DeploymentRow[]> {
    return deployments.listUnacknowledgedFailures(this.db, app, environment);
  }

  async saveRecord(deploymentId: string, record: Record<string, unknown>): Promise<void> {
    return (await records()).saveRecord(this.db, deploymentId, record);
  }

  async getRecord(deploymentId: string): Promise<Record<string, unknown> | undefined> {
    return (await records()).getRecord(this.db, deploymentId);
  }

  async createIncident(row: IncidentRow): Promise<void> {
    return (await incidents()).createIncident(this.db, row);
  }

  async getIncident(id: string): Promise<IncidentRow | undefined> {
    return (await incidents()).getIncident(this.db, id);
  }

  async listIncidents(query: ListIncidentsQuery): Promise<IncidentRow[]> {
    return (await incidents()).listIncidents(this.db, query);
  }

  async resolveIncident(id: string, resolution: { by: string; at: string; text: string | null }): Promise<boolean> {
    return (await incidents()).resolveIncident(this.db, id, resolution);
  }

  async saveReport(deploymentId: string, kind: ReportKind, report: Record<string, unknown>): Promise<void> {
    return (await reports()).saveReport(this.db, deploymentId, kind, report);
  }

  async getReport(deploymentId: string): Promise<{ kind: ReportKind; report: Record<string, unknown> } | undefined> {
    return (await reports()).getReport(this.db, deploymentId);
  }

  async listDueNotifications(now: string, limit: number): Promise<NotificationRow[]> {
    return (await notifications()).listDueNotifications(this.db, now, limit);
  }

  async listNotifications(query: { status?: NotificationStatus; limit: number }): Promise<NotificationRow[]> {
    return (await notifications()).listNotifications(this.db, query);
  }

  async getNotification(id: string): Promise<NotificationRow | undefined> {
    return (await notifications()).getNotification(this.db, id);
  }

  async claimNotification(id: string, expectedNextAt: string, leaseUntil: string): Promise<boolean> {
    return (await notifications()).claimNotification(this.db, id, expectedNextAt, leaseUntil);
  }

  async finishNotification(id: string, lease: string, outcome: { sentAt: string } | { error: string; nextAt: string | null }): Promise<boolean> {
    return (await notifications()).finishNotification(this.db, id, lease, outcome);
  }

  async releaseNotifications(held: readonly { id: string; lease: string }[], outcome: { error: string; nextAt: string }): Promise<number> {
    return (await notifications()).releaseNotifications(this.db, held, outcome);
  }

  async retryNotifications(now: string, ids?: readonly string[]): Promise<number> {
    return (await notifications()).retryNotifications(this.db, now, ids);
  }

  /** Opens an alert with its outbox rows; null when its rule has a firing alert already. */
  async openAlert(alert: NewAlert, outbox: readonly NewNotification[]): Promise<AlertRow | null> {
    return (await alerts()).openAlert(this.db, alert, outbox);
  }

  /** Resolves a firing alert (with the outbox rows `route` gives); undefined for an unknown id, `changed: false` when resolved already. */
  async resolveAlert(id: string, resolution: Resolution, route: (alert: AlertRow) => readonly NewNotification[]): Promise<{ alert: AlertRow; changed: boolean } | undefined> {
    return (await alerts()).resolveAlert(this.db, id, resolution, route);
  }

  async getAlert(id: string): Promise<AlertRow | undefined> {
    return (await alerts()).getAlert(this.db, id);
  }

  async listAlerts(query: ListAlertsQuery): Promise<AlertRow[]> {
    return (await alerts()).listAlerts(this.db, query);
  }

  async countAlerts(app: string, environment?: string): Promise<{ total: number; active: number }> {
    return (await alerts()).countAlerts(this.db, app, environment);
  }

  async recordMetric(metric: MetricRecord): Promise<void> {
    return (await metrics()).recordMetric(this.db, metric);
  }

  async listMetrics(query: { app: string; environment?: string; limit: number }): Promise<MetricRecord[]> {
    return (await metrics()).listMetrics(this.db, query);
  }

  /** Requests and errors recorded for app/env at or after `since`. */
  async requestTotals(app: string, environment: string, since: string): Promise<{ requests: number; errors: number }> {
    return (await metrics()).requestTotals(this.db, app, environment, since);
  }

  /** Per environment, kind and status: counts and summed durations of deployments with `fromId <= id < toId`. */
  async aggregateDeployments(app: string, range: { fromId?: string; toId?: string }): Promise<GroupAggregate[]> {
    return (await monitoring()).aggregateDeployments(this.db, this.dialect, app, range);
  }

  async oldestUnfinishedId(app: string): Promise<string | null> {
    return (await monitoring()).oldestUnfinishedId(this.db, app);
  }

  async lastStartedAt(app: string, environment?: string): Promise<string | null> {
    return (await monitoring()).lastStartedAt(this.db, app, environment);
  }

  async listEnvironments(app: string): Promise<string[]> {
    return (await monitoring()).listEnvironments(this.db, app);
  }

  /** What DORA needs of every deployment with `fromId <= id < toId`, oldest first. */
  async listFactsBetween(app: string, fromId: string, toId?: string): Promise<DeploymentFacts[]> {
    return (await monitoring()).listFactsBetween(this.db, this.dialect, app, fromId, toId);
  }

  async ping(): Promise<void> {
    return (await monitoring()).ping(this.db);
  }

  schemaVersion(): Promise<number> {
    return selectVersion(this.db);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
