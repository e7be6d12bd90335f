/** The reports table: a deployment's failure report or rollback instructions, overwritten on save. */
import type { ReportKind } from './contract.js';
import type { SqlExecutor } from './driver.js';
import { fromJson, toJson } from './values.js';

export async function saveReport(db: SqlExecutor, deploymentId: string, kind: ReportKind, report: Record<string, unknown>): Promise<void> {
  await db.run('INSERT INTO reports (deployment_id, kind, report) VALUES (?, ?, ?) ON CONFLICT (deployment_id) DO UPDATE SET kind = excluded.kind, report = excluded.report', [
    deploymentId,
    kind,
    toJson(report),
  ]);
}

export async function getReport(db: SqlExecutor, deploymentId: string): Promise<{ kind: ReportKind; report: Record<string, unknown> } | undefined> {
  const rows = await db.all('SELECT kind, report FROM reports WHERE deployment_id = ?', [deploymentId]);
  return rows[0] && { kind: rows[0].kind as ReportKind, report: fromJson(rows[0].report) };
}
