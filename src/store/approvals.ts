/** The approvals table: who approved a deployment parked in the approval gate. */
import type { ApprovalRow } from './contract.js';
import type { SqlExecutor, SqlRow } from './driver.js';

function fromRow(r: SqlRow): ApprovalRow {
  return {
    deploymentId: String(r.deployment_id),
    approver: String(r.approver),
    comment: r.comment as string | null,
    at: String(r.at),
  };
}

export async function addApproval(db: SqlExecutor, a: ApprovalRow): Promise<void> {
  await db.run('INSERT INTO approvals (deployment_id, approver, comment, at) VALUES (?, ?, ?, ?)', [a.deploymentId, a.approver, a.comment, a.at]);
}

/** Oldest first. */
export async function listApprovals(db: SqlExecutor, deploymentId: string): Promise<ApprovalRow[]> {
  const rows = await db.all('SELECT deployment_id, approver, comment, at FROM approvals WHERE deployment_id = ? ORDER BY at, id', [deploymentId]);
  return rows.map(fromRow);
}
