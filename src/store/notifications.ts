/** The notification outbox: rows written with their journal event, sent and marked by the notifier. */
import type { NewNotification, NotificationRow, NotificationStatus } from './contract.js';
import type { SqlDriver, SqlExecutor, SqlRow } from './driver.js';
import { placeholders, toNumber } from './values.js';

const SELECT = 'SELECT id, seq, deployment_id, alert_id, channel, event, status, attempts, next_at, created_at, sent_at, last_error FROM notifications';

function fromRow(r: SqlRow): NotificationRow {
  return {
    id: String(r.id),
    seq: toNumber(r.seq),
    deploymentId: r.deployment_id === null ? null : String(r.deployment_id),
    alertId: r.alert_id === null || r.alert_id === undefined ? null : String(r.alert_id),
    channel: String(r.channel),
    event: String(r.event),
    status: r.status as NotificationStatus,
    attempts: toNumber(r.attempts),
    nextAt: String(r.next_at),
    createdAt: String(r.created_at),
    sentAt: r.sent_at as string | null,
    lastError: r.last_error as string | null,
  };
}

/** The idempotency key of a delivery: stable across processes and retries, unique per event and channel. */
export function notificationId(deploymentId: string, seq: number, channel: string): string {
  return `ntf_${deploymentId}_${seq}_${channel}`;
}

export async function insertNotifications(db: SqlExecutor, seq: number, deploymentId: string, at: string, rows: readonly NewNotification[]): Promise<void> {
  for (const n of rows) {
    await db.run('INSERT INTO notifications (id, seq, deployment_id, channel, event, status, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)', [
      notificationId(deploymentId, seq, n.channel),
      seq,
      deploymentId,
      n.channel,
      n.event,
      'pending',
      at,
      at,
    ]);
  }
}

/** The idempotency key of an alert's delivery: one per alert, transition and channel. */
export function alertNotificationId(alertId: string, event: string, channel: string): string {
  return `ntf_${alertId}_${event}_${channel}`;
}

/** Outbox rows about an alert (seq 0, no deployment), written in the transaction that opens or resolves it. */
export async function insertAlertNotifications(db: SqlExecutor, alertId: string, at: string, rows: readonly NewNotification[]): Promise<void> {
  for (const n of rows) {
    await db.run('INSERT INTO notifications (id, seq, deployment_id, alert_id, channel, event, status, attempts, next_at, created_at) VALUES (?, 0, NULL, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (id) DO NOTHING', [
      alertNotificationId(alertId, n.event, n.channel),
      alertId,
      n.channel,
      n.event,
      'pending',
      at,
      at,
    ]);
  }
}

export async function listDueNotifications(db: SqlExecutor, now: string, limit: number): Promise<NotificationRow[]> {
  return (await db.all(`${SELECT} WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?`, [now, limit])).map(fromRow);
}

export async function listNotifications(db: SqlExecutor, query: { status?: NotificationStatus; limit: number }): Promise<NotificationRow[]> {
  const rows =
    query.status === undefined
      ? await db.all(`${SELECT} ORDER BY seq DESC, id LIMIT ?`, [query.limit])
      : await db.all(`${SELECT} WHERE status = ? ORDER BY seq DESC, id LIMIT ?`, [query.status, query.limit]);
  return rows.map(fromRow);
}

export async function getNotification(db: SqlExecutor, id: string): Promise<NotificationRow | undefined> {
  const rows = await db.all(`${SELECT} WHERE id = ?`, [id]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

export async function claimNotification(db: SqlExecutor, id: string, expectedNextAt: string, leaseUntil: string): Promise<boolean> {
  const changed = await db.run("UPDATE notifications SET next_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'pending' AND next_at = ?", [leaseUntil, id, expectedNextAt]);
  return changed === 1;
}

/**
 * Only the holder of the lease writes the outcome: a sender that overran its lease (and whose row
 * another sender took) must not turn that sender's `sent` back into `pending`.
 */
const HELD = "WHERE id = ? AND status = 'pending' AND next_at = ?";

export async function finishNotification(db: SqlExecutor, id: string, lease: string, outcome: { sentAt: string } | { error: string; nextAt: string | null }): Promise<boolean> {
  if ('sentAt' in outcome) return (await db.run(`UPDATE notifications SET status = 'sent', sent_at = ?, last_error = NULL ${HELD}`, [outcome.sentAt, id, lease])) === 1;
  if (outcome.nextAt === null) return (await db.run(`UPDATE notifications SET status = 'failed', last_error = ? ${HELD}`, [outcome.error, id, lease])) === 1;
  return (await db.run(`UPDATE notifications SET next_at = ?, last_error = ? ${HELD}`, [outcome.nextAt, outcome.error, id, lease])) === 1;
}

/**
 * Many held rows cut off at once (a sender stopping): each becomes due at `nextAt` with `error`,
 * in one transaction. It is not made durable before it returns (a process exiting waits for it,
 * and a disk under load can take hundreds of ms to sync): lost in a crash, the leases simply
 * run out and the rows are due then.
 */
export async function releaseNotifications(db: SqlDriver, held: readonly { id: string; lease: string }[], outcome: { error: string; nextAt: string }): Promise<number> {
  if (held.length === 0) return 0;
  return db.transaction(
    async (tx) => {
      let released = 0;
      for (const h of held) released += await tx.run(`UPDATE notifications SET next_at = ?, last_error = ? ${HELD}`, [outcome.nextAt, outcome.error, h.id, h.lease]);
      return released;
    },
    { durable: false },
  );
}

export async function retryNotifications(db: SqlExecutor, now: string, ids?: readonly string[]): Promise<number> {
  const set = "UPDATE notifications SET status = 'pending', attempts = 0, next_at = ? WHERE status = 'failed'";
  if (ids === undefined) return db.run(set, [now]);
  if (ids.length === 0) return 0;
  return db.run(`${set} AND id IN (${placeholders(ids.length)})`, [now, ...ids]);
}
