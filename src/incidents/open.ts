/**
 * `shipgate incident export`: an incident kept in the store, linked to deployments, and
 * journaled on the first of them, so the notify outbox carries it to the channels that
 * ask for `incident` (written in the same step as the journal event, like every delivery).
 */
import { NotFound, UsageError } from '../errors.js';
import type { EventContext } from '../pipeline/events.js';
import { eventContext, type Journal } from '../pipeline/journal.js';
import type { Clock } from '../runtime/clock.js';
import type { Masker } from '../runtime/secrets.js';
import type { DeploymentRow, IncidentRow, IncidentSeverity, IncidentType, Store } from '../store/contract.js';
import { newIncidentId } from './ids.js';

export interface IncidentDeps {
  store: Store;
  clock: Clock;
  masker: Masker;
  journal(context: EventContext): Pick<Journal, 'append'>;
}

export interface OpenIncidentRequest {
  app: string;
  environment: string;
  type: IncidentType;
  severity: IncidentSeverity;
  details: string;
  by: string;
  /** `--deployment`: the deployments it concerns. @default the newest of the environment (and, for a rollback, the deployment it rolled back) */
  deploymentIds?: readonly string[];
}

async function given(store: Store, app: string, environment: string, ids: readonly string[]): Promise<DeploymentRow[]> {
  const rows: DeploymentRow[] = [];
  for (const id of new Set(ids)) {
    const row = await store.getDeployment(id);
    if (!row || row.app !== app) throw new NotFound(`--deployment: no deployment ${id} of ${app} (see shipgate history)`);
    if (row.environment !== environment) throw new UsageError(`--deployment: ${id} is a deployment to ${row.environment}, not ${environment} (pass --env ${row.environment})`);
    rows.push(row);
  }
  return rows;
}

/** The deployments an incident is linked to: those given, or the newest of the environment (with what a rollback rolled back). */
export async function linkedDeployments(store: Store, app: string, environment: string, ids: readonly string[] = []): Promise<DeploymentRow[]> {
  if (ids.length > 0) return given(store, app, environment, ids);
  const [latest] = await store.listDeployments({ app, environment, limit: 1 });
  if (!latest) throw new NotFound(`no deployment of ${app}/${environment} to link the incident to: pass --deployment ID (shipgate history), or --env`);
  const rolledBack = latest.kind === 'rollback' && latest.rollbackOf ? await store.getDeployment(latest.rollbackOf) : undefined;
  return rolledBack ? [latest, rolledBack] : [latest];
}

export async function openIncident(req: OpenIncidentRequest, deps: IncidentDeps): Promise<IncidentRow> {
  const linked = await linkedDeployments(deps.store, req.app, req.environment, req.deploymentIds);
  const nowMs = deps.clock.now();
  const row: IncidentRow = {
    id: newIncidentId(nowMs),
    app: req.app,
    environment: req.environment,
    type: req.type,
    severity: req.severity,
    details: deps.masker.mask(req.details),
    status: 'open',
    deploymentIds: linked.map((d) => d.id),
    openedBy: req.by,
    openedAt: new Date(nowMs).toISOString(),
    resolvedBy: null,
    resolvedAt: null,
    resolution: null,
  };
  await deps.store.createIncident(row);
  const first = linked[0]!;
  const incident = { id: row.id, type: row.type, severity: row.severity, details: row.details, openedBy: row.openedBy, deploymentIds: row.deploymentIds };
  await deps.journal(eventContext(first)).append('incident:opened', { deploymentId: first.id, incident });
  return row;
}

/** `shipgate incident resolve <id>`: service is restored; the time from opening to now is the incident's time to restore. */
export async function resolveIncident(app: string, req: { id: string; by: string; resolution: string | null }, deps: IncidentDeps): Promise<{ incident: IncidentRow; already: boolean }> {
  const found = await deps.store.getIncident(req.id);
  if (!found || found.app !== app) throw new NotFound(`no incident ${req.id} of ${app} (see shipgate incident list)`);
  if (found.status === 'resolved') return { incident: found, already: true };
  const at = new Date(deps.clock.now()).toISOString();
  const text = req.resolution?.trim() ? deps.masker.mask(req.resolution.trim()) : null;
  if (!(await deps.store.resolveIncident(found.id, { by: req.by, at, text }))) return { incident: (await deps.store.getIncident(found.id))!, already: true };
  const first = found.deploymentIds[0];
  const row = first ? await deps.store.getDeployment(first) : undefined;
  if (row) await deps.journal(eventContext(row)).append('incident:resolved', { deploymentId: row.id, incidentId: found.id, by: req.by, resolution: text });
  return { incident: { ...found, status: 'resolved', resolvedBy: req.by, resolvedAt: at, resolution: text }, already: false };
}
