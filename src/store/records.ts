/** The records table: the JSON deployment record, one per deployment, overwritten on save. */
import type { SqlExecutor } from './driver.js';
import { fromJson, toJson } from './values.js';

export async function saveRecord(db: SqlExecutor, deploymentId: string, record: Record<string, unknown>): Promise<void> {
  await db.run('INSERT INTO records (deployment_id, record) VALUES (?, ?) ON CONFLICT (deployment_id) DO UPDATE SET record = excluded.record', [
    deploymentId,
    toJson(record),
  ]);
}

export async function getRecord(db: SqlExecutor, deploymentId: string): Promise<Record<string, unknown> | undefined> {
  const rows = await db.all('SELECT record FROM records WHERE deployment_id = ?', [deploymentId]);
  return rows[0] && fromJson(rows[0].record);
}
