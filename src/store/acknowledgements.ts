/** The acknowledgements table: who looked at a failed rollback, and why later deployments may start again. */
import type { AcknowledgementRow } from './contract.js';
import type { SqlExecutor, SqlRow } from './driver.js';
import { placeholders } from './values.js';

const SELECT = 'SELECT deployment_id, acknowledged_by, reason, at FROM acknowledgements';

function fromRow(r: SqlRow): AcknowledgementRow {
  return { deploymentId: String(r.deployment_id), by: String(r.acknowledged_by), reason: String(r.reason), at: String(r.at) };
}

export async function acknowledge(db: SqlExecutor, a: AcknowledgementRow): Promise<boolean> {
  const inserted = await db.run('INSERT INTO acknowledgements (deployment_id, acknowledged_by, reason, at) VALUES (?, ?, ?, ?) ON CONFLICT (deployment_id) DO NOTHING', [
    a.deploymentId,
    a.by,
    a.reason,
    a.at,
  ]);
  return inserted === 1;
}

export async function listAcknowledgements(db: SqlExecutor, deploymentIds: readonly string[]): Promise<AcknowledgementRow[]> {
  if (deploymentIds.length === 0) return [];
  return (await db.all(`${SELECT} WHERE deployment_id IN (${placeholders(deploymentIds.length)})`, [...deploymentIds])).map(fromRow);
}
