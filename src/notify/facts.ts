/** The facts of one delivery, read from the store (the deployment row and the journal event). */
import type { NotificationRow, Store } from '../store/contract.js';
import type { NotificationFacts, NotifiedIncident } from './contract.js';
import { alertHealth } from './alert-facts.js';

/** Pure: the health of what is live after `event`, in words. */
export function healthOf(event: string, version: string, previousVersion: string | null): string {
  switch (event) {
    case 'succeeded':
      return `healthy: ${version} is live and passed its checks`;
    case 'rolled_back':
    case 'cancelled':
      return previousVersion ? `${previousVersion} is live again (${version} undone)` : `${version} undone`;
    case 'rollback_failed':
      return 'unknown: an undo failed, a person must look';
    case 'failed':
      return `${version} failed; nothing was undone`;
    default:
      return previousVersion ? `${previousVersion} is live` : 'no version live yet';
  }
}

export async function factsOf(store: Store, row: NotificationRow): Promise<NotificationFacts> {
  if (row.alertId !== null) return alertFactsOf(store, row, row.alertId);
  if (row.deploymentId === null) throw new Error(`notification ${row.id} is about neither a deployment nor an alert`);
  const d = await store.getDeployment(row.deploymentId);
  if (!d) throw new Error(`deployment ${row.deploymentId} is not in the store`);
  const [event] = await store.listEvents(row.deploymentId, row.seq - 1);
  const data = event?.seq === row.seq ? event.data : {};
  const ciUrl = typeof d.meta.ciUrl === 'string' ? d.meta.ciUrl : null;
  const incident = row.event === 'incident' ? incidentOf(data) : null;
  return {
    event: row.event,
    deploymentId: d.id,
    app: d.app,
    environment: d.environment,
    version: d.version,
    previousVersion: d.previousVersion,
    kind: d.kind,
    actor: d.triggeredBy,
    reason: d.reason,
    gitSha: d.gitSha,
    at: event?.at ?? row.createdAt,
    error: typeof data.error === 'string' ? data.error : d.error,
    ciUrl,
    health: incident ? `incident open (${incident.severity})` : healthOf(row.event, d.version, d.previousVersion),
    ...(incident ? { incident, actor: incident.openedBy, reason: incident.details, error: null } : {}),
  };
}

/** The incident an `incident:opened` event carries. */
function incidentOf(data: Record<string, unknown>): (NotifiedIncident & { openedBy: string }) | null {
  const i = data.incident as Partial<NotifiedIncident & { openedBy: string }> | undefined;
  if (!i || typeof i.id !== 'string') return null;
  return { id: i.id, type: String(i.type), severity: String(i.severity), details: String(i.details ?? ''), deploymentIds: Array.isArray(i.deploymentIds) ? i.deploymentIds.map(String) : [], openedBy: String(i.openedBy ?? '') };
}

/** An alert's facts: the alert, and the version live in its environment when it was sent. */
async function alertFactsOf(store: Store, row: NotificationRow, alertId: string): Promise<NotificationFacts> {
  const a = await store.getAlert(alertId);
  if (!a) throw new Error(`alert ${alertId} is not in the store`);
  const live = await store.lastSucceeded(a.app, a.environment);
  const resolved = row.event === 'alert_resolved';
  return {
    event: row.event,
    deploymentId: live?.id ?? '',
    app: a.app,
    environment: a.environment,
    version: live?.version ?? '',
    previousVersion: null,
    kind: 'deploy',
    actor: resolved ? (a.resolvedBy ?? 'monitor') : 'monitor',
    reason: resolved ? a.resolution : null,
    gitSha: null,
    at: resolved ? (a.resolvedAt ?? row.createdAt) : a.firedAt,
    error: resolved ? null : a.summary,
    ciUrl: null,
    health: alertHealth(row.event, a.rule, a.summary),
    alert: { id: a.id, rule: a.rule, kind: a.kind, summary: a.summary, firedAt: a.firedAt, resolvedAt: a.resolvedAt, resolvedBy: a.resolvedBy, resolution: a.resolution },
  };
}
