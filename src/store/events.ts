/** The events table: the append-only journal. `seq` is assigned by the database. */
import type { DeploymentKind, EventRow, NewEvent, NewNotification, StoredEvent } from './contract.js';
import type { SqlDriver, SqlExecutor, SqlRow } from './driver.js';
import { insertNotifications } from './notifications.js';
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

/** Appends in `seq` order of commit (see Dialect.eventOrderLockSql), with the event's outbox rows in the same transaction. */
export async function appendEvent(db: SqlDriver, e: NewEvent, notifications: readonly NewNotification[] = []): Promise<number> {
  const lock = db.dialect.eventOrderLockSql;
  if (lock === null && notifications.length === 0) return insertEvent(db, e);
  return db.transaction(async (tx) => {
    if (lock !== null) await tx.exec(lock);
    const seq = await insertEvent(tx, e);
    await insertNotifications(tx, seq, e.deploymentId, e.at, notifications);
    return seq;
  });
}

/**
 * Appends an event that comes from outside a run (the agent's own log) unless one with the same
 * `id` was appended before: the id is claimed in the same transaction, so a reader that crashed
 * after the commit, or two readers at once, journal it exactly once. Resolves to its seq, or null.
 */
export async function appendEventOnce(db: SqlDriver, id: string, e: NewEvent): Promise<number | null> {
  const lock = db.dialect.eventOrderLockSql;
  return db.transaction(async (tx) => {
    if (lock !== null) await tx.exec(lock);
    const claimed = await tx.all('INSERT INTO event_ids (id, seq) VALUES (?, 0) ON CONFLICT (id) DO NOTHING RETURNING id', [id]);
    if (claimed.length === 0) return null;
    const seq = await insertEvent(tx, e);
    await tx.all('UPDATE event_ids SET seq = ? WHERE id = ? RETURNING id', [seq, id]);
    return seq;
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
