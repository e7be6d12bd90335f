/** The incidents table: exported incidents, linked to deployments, resolved later. */
import type { IncidentRow, IncidentSeverity, IncidentStatus, IncidentType, ListIncidentsQuery } from './contract.js';
import type { SqlExecutor, SqlParam, SqlRow } from './driver.js';
import { fromJson, nullable, toJson } from './values.js';

const SELECT = 'SELECT id, app, environment, type, severity, details, status, deployment_ids, opened_by, opened_at, resolved_by, resolved_at, resolution FROM incidents';
/** How many `listIncidents` returns when not told. */
export const DEFAULT_INCIDENTS_LIMIT = 50;

function fromRow(r: SqlRow): IncidentRow {
  return {
    id: String(r.id),
    app: String(r.app),
    environment: String(r.environment),
    type: r.type as IncidentType,
    severity: r.severity as IncidentSeverity,
    details: String(r.details),
    status: r.status as IncidentStatus,
    deploymentIds: fromJson<string[]>(r.deployment_ids),
    openedBy: String(r.opened_by),
    openedAt: String(r.opened_at),
    resolvedBy: r.resolved_by as string | null,
    resolvedAt: r.resolved_at as string | null,
    resolution: r.resolution as string | null,
  };
}

export async function createIncident(db: SqlExecutor, i: IncidentRow): Promise<void> {
  await db.run(
    'INSERT INTO incidents (id, app, environment, type, severity, details, status, deployment_ids, opened_by, opened_at, resolved_by, resolved_at, resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [i.id, i.app, i.environment, i.type, i.severity, i.details, i.status, toJson(i.deploymentIds), i.openedBy, i.openedAt, nullable(i.resolvedBy), nullable(i.resolvedAt), nullable(i.resolution)],
  );
}

export async function getIncident(db: SqlExecutor, id: string): Promise<IncidentRow | undefined> {
  const rows = await db.all(`${SELECT} WHERE id = ?`, [id]);
  return rows[0] && fromRow(rows[0]);
}

export async function listIncidents(db: SqlExecutor, q: ListIncidentsQuery): Promise<IncidentRow[]> {
  const where = ['app = ?'];
  const params: SqlParam[] = [q.app];
  for (const [clause, value] of [['environment = ?', q.environment], ['status = ?', q.status], ['opened_at >= ?', q.openedSince]] as const) {
    if (value === undefined) continue;
    where.push(clause);
    params.push(value);
  }
  params.push(q.limit ?? DEFAULT_INCIDENTS_LIMIT);
  return (await db.all(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY opened_at DESC, id DESC LIMIT ?`, params)).map(fromRow);
}

export async function resolveIncident(db: SqlExecutor, id: string, r: { by: string; at: string; text: string | null }): Promise<boolean> {
  const changed = await db.run("UPDATE incidents SET status = 'resolved', resolved_by = ?, resolved_at = ?, resolution = ? WHERE id = ? AND status = 'open'", [r.by, r.at, nullable(r.text), id]);
  return changed === 1;
}
