/** Metrics recorded through the monitoring API, and the request totals the error-rate rule reads. */
import type { MetricRecord } from './contract.js';
import type { SqlExecutor, SqlRow } from './driver.js';
import { fromJson, toJson, toNumber } from './values.js';

const orNull = (v: unknown): number | null => (v === null || v === undefined ? null : toNumber(v));

function fromRow(r: SqlRow): MetricRecord {
  return {
    app: String(r.app),
    environment: String(r.environment),
    at: String(r.at),
    deploymentId: r.deployment_id as string | null,
    phase: String(r.phase),
    status: r.status as string | null,
    durationMs: orNull(r.duration_ms),
    requests: orNull(r.requests),
    errors: orNull(r.errors),
    data: fromJson(r.data),
  };
}

export async function recordMetric(db: SqlExecutor, m: MetricRecord): Promise<void> {
  await db.run('INSERT INTO metrics (app, environment, at, deployment_id, phase, status, duration_ms, requests, errors, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
    m.app,
    m.environment,
    m.at,
    m.deploymentId,
    m.phase,
    m.status,
    m.durationMs,
    m.requests,
    m.errors,
    toJson(m.data),
  ]);
}

/** Newest first. */
export async function listMetrics(db: SqlExecutor, q: { app: string; environment?: string; limit: number }): Promise<MetricRecord[]> {
  const rows =
    q.environment === undefined
      ? await db.all('SELECT * FROM metrics WHERE app = ? ORDER BY at DESC, id DESC LIMIT ?', [q.app, q.limit])
      : await db.all('SELECT * FROM metrics WHERE app = ? AND environment = ? ORDER BY at DESC, id DESC LIMIT ?', [q.app, q.environment, q.limit]);
  return rows.map(fromRow);
}

/** Requests and errors reported for app/env at or after `since`. */
export async function requestTotals(db: SqlExecutor, app: string, environment: string, since: string): Promise<{ requests: number; errors: number }> {
  const rows = await db.all('SELECT SUM(requests) AS requests, SUM(errors) AS errors FROM metrics WHERE app = ? AND environment = ? AND at >= ? AND requests IS NOT NULL', [app, environment, since]);
  return { requests: toNumber(rows[0]?.requests ?? 0), errors: toNumber(rows[0]?.errors ?? 0) };
}
