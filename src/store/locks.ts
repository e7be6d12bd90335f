/**
 * The locks table: at most one row per app/environment. Every operation is one
 * statement, so it is atomic across processes in both dialects.
 */
import { ShipgateError } from '../errors.js';
import type { AcquireResult, LockRow } from './contract.js';
import type { SqlExecutor, SqlParam, SqlRow } from './driver.js';
import { toNumber } from './values.js';

const COLUMNS = 'app, environment, deployment_id, holder, pid, host, process_start, acquired_at, heartbeat_at';
const SELECT = `SELECT ${COLUMNS} FROM locks`;
/** A holder that releases between our INSERT and SELECT makes us try again; this bounds the retries. */
const ACQUIRE_ATTEMPTS = 10;

function fromRow(r: SqlRow): LockRow {
  return {
    app: String(r.app),
    environment: String(r.environment),
    deploymentId: String(r.deployment_id),
    holder: String(r.holder),
    pid: toNumber(r.pid),
    host: String(r.host),
    processStart: r.process_start as string | null,
    acquiredAt: String(r.acquired_at),
    heartbeatAt: String(r.heartbeat_at),
  };
}

function holderParams(l: LockRow): SqlParam[] {
  return [l.deploymentId, l.holder, l.pid, l.host, l.processStart, l.acquiredAt, l.heartbeatAt];
}

export async function tryAcquireLock(db: SqlExecutor, lock: LockRow): Promise<AcquireResult> {
  for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
    const inserted = await db.run(
      `INSERT INTO locks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (app, environment) DO NOTHING`,
      [lock.app, lock.environment, ...holderParams(lock)],
    );
    if (inserted === 1) return { acquired: true };
    const holder = await getLock(db, lock.app, lock.environment);
    if (holder) return { acquired: false, holder };
  }
  throw new ShipgateError(`lock ${lock.app}/${lock.environment}: still changing hands after ${ACQUIRE_ATTEMPTS} attempts`);
}

export async function replaceLock(db: SqlExecutor, staleDeploymentId: string, lock: LockRow): Promise<boolean> {
  const changed = await db.run(
    `UPDATE locks SET deployment_id = ?, holder = ?, pid = ?, host = ?, process_start = ?, acquired_at = ?, heartbeat_at = ?
     WHERE app = ? AND environment = ? AND deployment_id = ?`,
    [...holderParams(lock), lock.app, lock.environment, staleDeploymentId],
  );
  return changed === 1;
}

export async function releaseLock(db: SqlExecutor, app: string, environment: string, deploymentId: string): Promise<void> {
  await db.run('DELETE FROM locks WHERE app = ? AND environment = ? AND deployment_id = ?', [app, environment, deploymentId]);
}

export async function getLock(db: SqlExecutor, app: string, environment: string): Promise<LockRow | undefined> {
  const rows = await db.all(`${SELECT} WHERE app = ? AND environment = ?`, [app, environment]);
  return rows[0] && fromRow(rows[0]);
}

export async function listLocks(db: SqlExecutor, app: string): Promise<LockRow[]> {
  return (await db.all(`${SELECT} WHERE app = ? ORDER BY environment`, [app])).map(fromRow);
}

export async function heartbeatLock(db: SqlExecutor, app: string, environment: string, deploymentId: string, at: string): Promise<void> {
  await db.run('UPDATE locks SET heartbeat_at = ? WHERE app = ? AND environment = ? AND deployment_id = ?', [at, app, environment, deploymentId]);
}
