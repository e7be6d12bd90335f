/** The one {@link Store} implementation: hand-written SQL over a {@link SqlDriver} (SQLite or PostgreSQL). */
import * as approvals from './approvals.js';
import type {
  AcquireResult,
  ApprovalRow,
  DeploymentPatch,
  DeploymentRow,
  EventRow,
  ListDeploymentsQuery,
  LockRow,
  NewDeployment,
  NewEvent,
  ReleaseRow,
  Store,
} from './contract.js';
import * as deployments from './deployments.js';
import type { SqlDriver } from './driver.js';
import * as events from './events.js';
import * as locks from './locks.js';
import { migrate, selectVersion, type MigrationResult } from './migrate.js';
import type { Migration } from './migrations.js';
import * as records from './records.js';
import * as releases from './releases.js';

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

  appendEvent(event: NewEvent): Promise<number> {
    return events.appendEvent(this.db, event);
  }

  listEvents(deploymentId: string, afterSeq?: number): Promise<EventRow[]> {
    return events.listEvents(this.db, deploymentId, afterSeq);
  }

  tryAcquireLock(lock: LockRow): Promise<AcquireResult> {
    return locks.tryAcquireLock(this.db, lock);
  }

  replaceLock(staleDeploymentId: string, lock: LockRow): Promise<boolean> {
    return locks.replaceLock(this.db, staleDeploymentId, lock);
  }

  releaseLock(app: string, environment: string, deploymentId: string): Promise<void> {
    return locks.releaseLock(this.db, app, environment, deploymentId);
  }

  getLock(app: string, environment: string): Promise<LockRow | undefined> {
    return locks.getLock(this.db, app, environment);
  }

  listLocks(app: string): Promise<LockRow[]> {
    return locks.listLocks(this.db, app);
  }

  heartbeatLock(app: string, environment: string, deploymentId: string, at: string): Promise<void> {
    return locks.heartbeatLock(this.db, app, environment, deploymentId, at);
  }

  upsertRelease(row: ReleaseRow): Promise<void> {
    return releases.upsertRelease(this.db, row);
  }

  getRelease(app: string, version: string): Promise<ReleaseRow | undefined> {
    return releases.getRelease(this.db, app, version);
  }

  listReleases(app: string): Promise<ReleaseRow[]> {
    return releases.listReleases(this.db, app);
  }

  deleteRelease(app: string, version: string): Promise<void> {
    return releases.deleteRelease(this.db, app, version);
  }

  addApproval(row: ApprovalRow): Promise<void> {
    return approvals.addApproval(this.db, row);
  }

  listApprovals(deploymentId: string): Promise<ApprovalRow[]> {
    return approvals.listApprovals(this.db, deploymentId);
  }

  saveRecord(deploymentId: string, record: Record<string, unknown>): Promise<void> {
    return records.saveRecord(this.db, deploymentId, record);
  }

  getRecord(deploymentId: string): Promise<Record<string, unknown> | undefined> {
    return records.getRecord(this.db, deploymentId);
  }

  schemaVersion(): Promise<number> {
    return selectVersion(this.db);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
