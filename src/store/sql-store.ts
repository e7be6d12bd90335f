/** The one {@link Store} implementation: hand-written SQL over a {@link SqlDriver} (SQLite or PostgreSQL). */
import type {
  AcknowledgementRow,
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
  StoredEvent,
} from './contract.js';
import { DEFAULT_EVENTS_PAGE } from './contract.js';
import * as deployments from './deployments.js';
import type { SqlDriver } from './driver.js';
import { migrate, selectVersion, type MigrationResult } from './migrate.js';
import type { Migration } from './migrations.js';

/** Loads a table module on first use: `history` needs only deployments, and every module costs start-up time. */
function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => (loaded ??= load());
}

const acknowledgements = lazy(() => import('./acknowledgements.js'));
const approvals = lazy(() => import('./approvals.js'));
const events = lazy(() => import('./events.js'));
const locks = lazy(() => import('./locks.js'));
const records = lazy(() => import('./records.js'));
const releases = lazy(() => import('./releases.js'));

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

  async appendEvent(event: NewEvent): Promise<number> {
    return (await events()).appendEvent(this.db, event);
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

  schemaVersion(): Promise<number> {
    return selectVersion(this.db);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
