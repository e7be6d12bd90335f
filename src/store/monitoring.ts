/**
 * Read-only aggregates for the monitoring server: answered by the database over
 * the existing indexes, so a long history costs one index scan, not a page of rows per call.
 */
import type { DeploymentKind, DeploymentStatus } from './contract.js';
import type { SqlExecutor, SqlParam } from './driver.js';
import { UNFINISHED_SQL } from './migrations.js';
import { toNumber } from './values.js';

export interface StatusCount {
  environment: string;
  kind: DeploymentKind;
  status: DeploymentStatus;
  count: number;
}

/** The facts a DORA computation needs of one deployment (see the server's dora module). */
export interface DeploymentFacts {
  id: string;
  environment: string;
  kind: DeploymentKind;
  status: DeploymentStatus;
  startedAt: string;
  finishedAt: string | null;
  rollbackOf: string | null;
  /** `meta.commitAt`: when the deployed commit was made, when the run recorded it. */
  commitAt: string | null;
}

const DURATION_MS: Record<'sqlite' | 'postgres', string> = {
  sqlite: '(julianday(finished_at) - julianday(started_at)) * 86400000.0',
  postgres: 'EXTRACT(EPOCH FROM (finished_at::timestamptz - started_at::timestamptz)) * 1000',
};

function appFilter(app: string, environment: string | undefined): { where: string; params: SqlParam[] } {
  return environment === undefined ? { where: 'app = ?', params: [app] } : { where: 'app = ? AND environment = ?', params: [app, environment] };
}

/** Deployments of one environment, kind and status, with their summed durations. */
export interface GroupAggregate extends StatusCount {
  /** How many have finished_at. */
  finished: number;
  /** Sum of finished_at - started_at over those, in ms. */
  durationMs: number;
}

/** Aggregates of the app's deployments with `fromId <= id < toId` (either bound optional). */
export async function aggregateDeployments(db: SqlExecutor, dialect: 'sqlite' | 'postgres', app: string, range: { fromId?: string; toId?: string }): Promise<GroupAggregate[]> {
  const where = ['app = ?'];
  const params: SqlParam[] = [app];
  for (const [clause, value] of [['id >= ?', range.fromId], ['id < ?', range.toId]] as const) {
    if (value === undefined) continue;
    where.push(clause);
    params.push(value);
  }
  const sql = `SELECT environment, kind, status, COUNT(*) AS n, COUNT(finished_at) AS finished, SUM(CASE WHEN finished_at IS NULL THEN 0 ELSE ${DURATION_MS[dialect]} END) AS ms
    FROM deployments WHERE ${where.join(' AND ')} GROUP BY environment, kind, status`;
  return (await db.all(sql, params)).map((r) => ({
    environment: String(r.environment),
    kind: r.kind as DeploymentKind,
    status: r.status as DeploymentStatus,
    count: toNumber(r.n),
    finished: toNumber(r.finished),
    durationMs: toNumber(r.ms ?? 0),
  }));
}

/** The id of the app's oldest deployment still in progress (the partial index of migration 2), or null. */
export async function oldestUnfinishedId(db: SqlExecutor, app: string): Promise<string | null> {
  // The ORDER BY leads SQLite to the partial index (a plain MIN(id) walks the (app, id) index through every row).
  const sql = `SELECT MIN(id) AS id FROM (SELECT id FROM deployments WHERE app = ? AND status IN ${UNFINISHED_SQL} ORDER BY environment, id) unfinished`;
  const rows = await db.all(sql, [app]);
  const id = rows[0]?.id;
  return id === null || id === undefined ? null : String(id);
}

/** The newest deployment's start (ids sort by time), of one environment if given. */
export async function lastStartedAt(db: SqlExecutor, app: string, environment?: string): Promise<string | null> {
  const { where, params } = appFilter(app, environment);
  const rows = await db.all(`SELECT started_at FROM deployments WHERE ${where} ORDER BY id DESC LIMIT 1`, params);
  return rows[0] ? String(rows[0].started_at) : null;
}

/** The environments the app has deployments in. */
export async function listEnvironments(db: SqlExecutor, app: string): Promise<string[]> {
  return (await db.all('SELECT DISTINCT environment FROM deployments WHERE app = ? ORDER BY environment', [app])).map((r) => String(r.environment));
}

/** `meta.commitAt` as text, read by the database (meta can be large; only this field is needed). */
const COMMIT_AT: Record<'sqlite' | 'postgres', string> = {
  sqlite: "json_extract(meta, '$.commitAt')",
  postgres: "(meta::json ->> 'commitAt')",
};

/** Deployments of the app with `fromId <= id < toId` (ids sort by time; no upper bound without `toId`), oldest first. */
export async function listFactsBetween(db: SqlExecutor, dialect: 'sqlite' | 'postgres', app: string, fromId: string, toId?: string): Promise<DeploymentFacts[]> {
  const upper = toId === undefined ? '' : ' AND id < ?';
  const sql = `SELECT id, environment, kind, status, started_at, finished_at, rollback_of, ${COMMIT_AT[dialect]} AS commit_at FROM deployments WHERE app = ? AND id >= ?${upper} ORDER BY id`;
  return (await db.all(sql, toId === undefined ? [app, fromId] : [app, fromId, toId])).map((r) => ({
    id: String(r.id),
    environment: String(r.environment),
    kind: r.kind as DeploymentKind,
    status: r.status as DeploymentStatus,
    startedAt: String(r.started_at),
    finishedAt: r.finished_at as string | null,
    rollbackOf: r.rollback_of as string | null,
    commitAt: typeof r.commit_at === 'string' ? r.commit_at : null,
  }));
}

/** Answers when the database does: the round trip the health endpoint reports. */
export async function ping(db: SqlExecutor): Promise<void> {
  await db.all('SELECT 1 AS one');
}
