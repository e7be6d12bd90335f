/** Alerts of the monitor rules: opened once per firing (a unique index), resolved once, each with its outbox rows. */
import type { AlertRow, AlertStatus, NewAlert, NewNotification } from './contract.js';
import type { SqlDriver, SqlExecutor, SqlRow } from './driver.js';
import { insertAlertNotifications } from './notifications.js';
import { fromJson, toJson, toNumber } from './values.js';

const SELECT = 'SELECT id, app, environment, rule, kind, status, summary, details, fired_at, resolved_at, resolved_by, resolution FROM alerts';

function fromRow(r: SqlRow): AlertRow {
  return {
    id: String(r.id),
    app: String(r.app),
    environment: String(r.environment),
    rule: String(r.rule),
    kind: String(r.kind),
    status: r.status as AlertStatus,
    summary: String(r.summary),
    details: fromJson(r.details),
    firedAt: String(r.fired_at),
    resolvedAt: r.resolved_at as string | null,
    resolvedBy: r.resolved_by as string | null,
    resolution: r.resolution as string | null,
  };
}

/** Opens an alert with its outbox rows; null when the rule has a firing alert already (nothing is written). */
export async function openAlert(db: SqlDriver, alert: NewAlert, outbox: readonly NewNotification[]): Promise<AlertRow | null> {
  return db.transaction(async (tx) => {
    const inserted = await tx.run(
      "INSERT INTO alerts (id, app, environment, rule, kind, status, summary, details, fired_at) VALUES (?, ?, ?, ?, ?, 'firing', ?, ?, ?) ON CONFLICT DO NOTHING",
      [alert.id, alert.app, alert.environment, alert.rule, alert.kind, alert.summary, toJson(alert.details), alert.firedAt],
    );
    if (inserted !== 1) return null;
    await insertAlertNotifications(tx, alert.id, alert.firedAt, outbox);
    return { ...alert, status: 'firing', resolvedAt: null, resolvedBy: null, resolution: null };
  });
}

export interface Resolution {
  at: string;
  by: string;
  resolution: string | null;
}

/**
 * Resolves a firing alert with the outbox rows `route` gives for it. Undefined for an unknown id;
 * `changed: false` (and nothing written) when it was resolved already.
 */
export async function resolveAlert(db: SqlDriver, id: string, r: Resolution, route: (alert: AlertRow) => readonly NewNotification[]): Promise<{ alert: AlertRow; changed: boolean } | undefined> {
  return db.transaction(async (tx) => {
    const changed = await tx.run("UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ? AND status = 'firing'", [r.at, r.by, r.resolution, id]);
    const alert = await getAlert(tx, id);
    if (alert === undefined) return undefined;
    if (changed === 1) await insertAlertNotifications(tx, id, r.at, route(alert));
    return { alert, changed: changed === 1 };
  });
}

export async function getAlert(db: SqlExecutor, id: string): Promise<AlertRow | undefined> {
  const rows = await db.all(`${SELECT} WHERE id = ?`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export interface ListAlertsQuery {
  app: string;
  environment?: string;
  status?: AlertStatus;
  limit: number;
}

/** Newest first. */
export async function listAlerts(db: SqlExecutor, q: ListAlertsQuery): Promise<AlertRow[]> {
  const where = ['app = ?'];
  const params: (string | number)[] = [q.app];
  for (const [column, value] of [['environment', q.environment], ['status', q.status]] as const) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  return (await db.all(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY fired_at DESC, id DESC LIMIT ?`, [...params, q.limit])).map(fromRow);
}

/** Alerts of the app (one environment's, if given): all of them and those firing. */
export async function countAlerts(db: SqlExecutor, app: string, environment?: string): Promise<{ total: number; active: number }> {
  const [where, params] = environment === undefined ? ['app = ?', [app]] : ['app = ? AND environment = ?', [app, environment]];
  const rows = await db.all(`SELECT COUNT(*) AS total, SUM(CASE WHEN status = 'firing' THEN 1 ELSE 0 END) AS active FROM alerts WHERE ${where}`, params);
  return { total: toNumber(rows[0]?.total ?? 0), active: toNumber(rows[0]?.active ?? 0) };
}
