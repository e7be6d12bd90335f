/** The deployments table. Ids sort by time, so "newest first" is `ORDER BY id DESC`. */
import { NotFound } from '../errors.js';
import {
  type DeploymentPatch,
  type DeploymentRow,
  type ListDeploymentsQuery,
  type NewDeployment,
} from './contract.js';
import type { SqlExecutor, SqlParam, SqlRow } from './driver.js';
import { fromJson, nullable, placeholders, toJson, toNumber } from './values.js';

export const DEFAULT_LIST_LIMIT = 20;

const COLUMNS = [
  'id', 'app', 'environment', 'kind', 'version', 'previous_version', 'status', 'triggered_by', 'reason',
  'git_sha', 'git_ref', 'rollback_of', 'started_at', 'finished_at', 'current_stage', 'meta', 'error',
] as const;
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM deployments`;
const INSERT = `INSERT INTO deployments (${COLUMNS.join(', ')}) VALUES `;
const ROW_PLACEHOLDERS = `(${placeholders(COLUMNS.length)})`;

/** Statuses of deployments in progress, as SQL (literal, so the partial index of migration 2 applies). */
export const UNFINISHED_SQL = "('running', 'awaiting_approval')";

const PATCH_COLUMNS: Record<keyof DeploymentPatch, string> = {
  status: 'status',
  finishedAt: 'finished_at',
  currentStage: 'current_stage',
  error: 'error',
  meta: 'meta',
  previousVersion: 'previous_version',
};

type Column = (typeof COLUMNS)[number];
type RawDeployment = Record<Column, string | null>;

function toParams(d: NewDeployment): SqlParam[] {
  return [
    d.id, d.app, d.environment, d.kind, d.version, nullable(d.previousVersion), d.status, d.triggeredBy, nullable(d.reason),
    nullable(d.gitSha), nullable(d.gitRef), nullable(d.rollbackOf), d.startedAt, nullable(d.finishedAt), nullable(d.currentStage),
    toJson(d.meta), nullable(d.error),
  ];
}

function fromRow(row: SqlRow): DeploymentRow {
  const r = row as RawDeployment;
  return {
    id: String(r.id),
    app: String(r.app),
    environment: String(r.environment),
    kind: r.kind as DeploymentRow['kind'],
    version: String(r.version),
    previousVersion: r.previous_version,
    status: r.status as DeploymentRow['status'],
    triggeredBy: String(r.triggered_by),
    reason: r.reason,
    gitSha: r.git_sha,
    gitRef: r.git_ref,
    rollbackOf: r.rollback_of,
    startedAt: String(r.started_at),
    finishedAt: r.finished_at,
    currentStage: r.current_stage,
    meta: fromJson(r.meta),
    error: r.error,
  };
}

export async function createDeployment(db: SqlExecutor, row: NewDeployment): Promise<void> {
  await db.run(INSERT + ROW_PLACEHOLDERS, toParams(row));
}

/** Inserts many rows with multi-row INSERTs (bulk imports, tests, benchmarks). Run it inside a transaction. */
export async function insertDeployments(db: SqlExecutor, rows: readonly NewDeployment[], perStatement = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    await db.run(INSERT + chunk.map(() => ROW_PLACEHOLDERS).join(', '), chunk.flatMap(toParams));
  }
}

export async function updateDeployment(db: SqlExecutor, id: string, patch: DeploymentPatch): Promise<void> {
  const keys = (Object.keys(PATCH_COLUMNS) as (keyof DeploymentPatch)[]).filter((k) => patch[k] !== undefined);
  const found = keys.length === 0 ? (await getDeployment(db, id)) !== undefined : (await db.run(updateSql(keys), [...keys.map((k) => patchValue(patch, k)), id])) > 0;
  if (!found) throw new NotFound(`deployment ${id} not found`);
}

function updateSql(keys: (keyof DeploymentPatch)[]): string {
  return `UPDATE deployments SET ${keys.map((k) => `${PATCH_COLUMNS[k]} = ?`).join(', ')} WHERE id = ?`;
}

function patchValue(patch: DeploymentPatch, key: keyof DeploymentPatch): SqlParam {
  return key === 'meta' ? toJson(patch.meta) : nullable(patch[key] as string | null);
}

export async function getDeployment(db: SqlExecutor, id: string): Promise<DeploymentRow | undefined> {
  const rows = await db.all(`${SELECT} WHERE id = ?`, [id]);
  return rows[0] && fromRow(rows[0]);
}

/** The SQL of {@link listDeployments} (exported so tests can check its query plan). */
export function listDeploymentsSql(q: ListDeploymentsQuery): { sql: string; params: SqlParam[] } {
  const where = ['app = ?'];
  const params: SqlParam[] = [q.app];
  const add = (clause: string, ...values: SqlParam[]): void => {
    where.push(clause);
    params.push(...values);
  };
  if (q.environment !== undefined) add('environment = ?', q.environment);
  if (q.kind !== undefined) add('kind = ?', q.kind);
  if (q.statuses !== undefined) add(`status IN (${placeholders(q.statuses.length)})`, ...q.statuses);
  if (q.beforeId !== undefined) add('id < ?', q.beforeId);
  params.push(checkLimit(q.limit ?? DEFAULT_LIST_LIMIT));
  return { sql: `${SELECT} WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`, params };
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`listDeployments: limit must be an integer >= 0, got ${limit}`);
  return limit;
}

export async function listDeployments(db: SqlExecutor, q: ListDeploymentsQuery): Promise<DeploymentRow[]> {
  if (q.statuses?.length === 0) return [];
  const { sql, params } = listDeploymentsSql(q);
  return (await db.all(sql, params)).map(fromRow);
}

export async function countDeployments(db: SqlExecutor, app: string, environment?: string): Promise<number> {
  const rows =
    environment === undefined
      ? await db.all('SELECT COUNT(*) AS n FROM deployments WHERE app = ?', [app])
      : await db.all('SELECT COUNT(*) AS n FROM deployments WHERE app = ? AND environment = ?', [app, environment]);
  return toNumber(rows[0]?.n ?? 0);
}

export async function listUnfinished(db: SqlExecutor, app: string, environment: string): Promise<DeploymentRow[]> {
  const sql = `${SELECT} WHERE app = ? AND environment = ? AND status IN ${UNFINISHED_SQL} ORDER BY id ASC`;
  return (await db.all(sql, [app, environment])).map(fromRow);
}

export async function lastSucceeded(db: SqlExecutor, app: string, environment: string): Promise<DeploymentRow | undefined> {
  const sql = `${SELECT} WHERE app = ? AND environment = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 1`;
  const rows = await db.all(sql, [app, environment]);
  return rows[0] && fromRow(rows[0]);
}

/**
 * `rollback_failed` deployments of app/env with no acknowledgement and no
 * success after them, newest first. A success after one means the environment
 * was put right (by a deployment that an acknowledgement let start, or before
 * acknowledgements existed), so it no longer stops anything.
 */
export async function listUnacknowledgedFailures(db: SqlExecutor, app: string, environment: string): Promise<DeploymentRow[]> {
  const sql = `${SELECT} WHERE app = ? AND environment = ? AND status = 'rollback_failed'
    AND id > COALESCE((SELECT MAX(id) FROM deployments WHERE app = ? AND environment = ? AND status = 'succeeded'), '')
    AND NOT EXISTS (SELECT 1 FROM acknowledgements WHERE acknowledgements.deployment_id = deployments.id)
    ORDER BY id DESC`;
  return (await db.all(sql, [app, environment, app, environment])).map(fromRow);
}
