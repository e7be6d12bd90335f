/** The events table: the append-only journal. `seq` is assigned by the database. */
import type { DeploymentKind, EventRow, NewEvent, StoredEvent } from './contract.js';
import type { SqlDriver, SqlExecutor, SqlRow } from './driver.js';
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

/** Appends in `seq` order of commit (see Dialect.eventOrderLockSql). */
export async function appendEvent(db: SqlDriver, e: NewEvent): Promise<number> {
  const lock = db.dialect.eventOrderLockSql;
  if (lock === null) return insertEvent(db, e);
  return db.transaction(async (tx) => {
    await tx.exec(lock);
    return insertEvent(tx, e);
  });
}

async function insertEvent(db: SqlExecutor, e: NewEvent): Promise<number> {
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

const SELECT_WITH_CONTEXT =
  'SELECT e.seq, e.deployment_id, e.at, e.type, e.stage, e.step, e.data, d.app, d.environment, d.version, d.kind, d.triggered_by FROM events e JOIN deployments d ON d.id = e.deployment_id';

/** Events of every deployment (of `app`) after `afterSeq`, oldest first, each with its deployment's context. */
export async function listEventsAfter(db: SqlExecutor, afterSeq: number, opts: { limit: number; app?: string }): Promise<StoredEvent[]> {
  const rows =
    opts.app === undefined
      ? await db.all(`${SELECT_WITH_CONTEXT} WHERE e.seq > ? ORDER BY e.seq LIMIT ?`, [afterSeq, opts.limit])
      : await db.all(`${SELECT_WITH_CONTEXT} WHERE e.seq > ? AND d.app = ? ORDER BY e.seq LIMIT ?`, [afterSeq, opts.app, opts.limit]);
  return rows.map((r) => ({
    ...fromRow(r),
    context: { deploymentId: String(r.deployment_id), app: String(r.app), environment: String(r.environment), version: String(r.version), kind: r.kind as DeploymentKind, actor: String(r.triggered_by) },
  }));
}
