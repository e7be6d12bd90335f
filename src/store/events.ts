/** The events table: the append-only journal. `seq` is assigned by the database. */
import type { EventRow, NewEvent } from './contract.js';
import type { SqlExecutor, SqlRow } from './driver.js';
import { fromJson, toJson, toNumber } from './values.js';

const SELECT = 'SELECT seq, deployment_id, at, type, stage, step, data FROM events';

function fromRow(r: SqlRow): EventRow {
  return {
    seq: toNumber(r.seq),
    deploymentId: String(r.deployment_id),
    at: String(r.at),
    type: String(r.type),
    stage: r.stage as string | null,
    step: r.step as string | null,
    data: fromJson(r.data),
  };
}

export async function appendEvent(db: SqlExecutor, e: NewEvent): Promise<number> {
  const rows = await db.all('INSERT INTO events (deployment_id, at, type, stage, step, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq', [
    e.deploymentId,
    e.at,
    e.type,
    e.stage,
    e.step,
    toJson(e.data),
  ]);
  return toNumber(rows[0]?.seq);
}

export async function listEvents(db: SqlExecutor, deploymentId: string, afterSeq?: number): Promise<EventRow[]> {
  const rows =
    afterSeq === undefined
      ? await db.all(`${SELECT} WHERE deployment_id = ? ORDER BY seq`, [deploymentId])
      : await db.all(`${SELECT} WHERE deployment_id = ? AND seq > ? ORDER BY seq`, [deploymentId, afterSeq]);
  return rows.map(fromRow);
}
