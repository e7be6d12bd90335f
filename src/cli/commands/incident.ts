/** `shipgate incident export|list|resolve`: incidents in the store, linked to deployments, told to the channels that ask for them. */
import { toMs } from '../../config/duration.js';
import type { LoadedConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import { checkIncidentFlags, type IncidentExportInput } from '../../incidents/flags.js';
import { openIncident, resolveIncident, type IncidentDeps } from '../../incidents/open.js';
import { incidentJson, incidentLine, incidentMarkdown } from '../../incidents/render.js';
import { createOutboxRoute } from '../../notify/route.js';
import { EventBus } from '../../pipeline/events.js';
import { Journal } from '../../pipeline/journal.js';
import { wire, type Wiring } from '../../pipeline/wiring.js';
import { resolveActor } from '../../runtime/actor.js';
import { systemClock } from '../../runtime/clock.js';
import type { IncidentStatus } from '../../store/contract.js';
import { EXIT } from '../exit-codes.js';
import { attachNotifier } from '../notifier.js';
import type { GlobalOptions, Output } from '../output.js';
import { fullConfig } from '../pipeline-context.js';

export interface IncidentExportFlags extends GlobalOptions, IncidentExportInput {
  deployment?: string[];
  actor?: string;
}

/** Opens the store with the notifier beside it: what the command journals goes out now, bounded at exit. */
async function withIncidents<T>(loaded: LoadedConfig, out: Output, act: (deps: IncidentDeps) => Promise<T>): Promise<T> {
  const notifier = attachNotifier(loaded, out);
  const bus = new EventBus();
  const w: Wiring = await wire({ storeUrl: loaded.config.store.url, root: loaded.root, storeRetryMs: toMs(loaded.config.store.retry), bus, subscribers: [(b) => notifier.attach(b)] });
  notifier.start(w.store);
  const route = createOutboxRoute(loaded.config.notify);
  try {
    return await act({ store: w.store, clock: systemClock, masker: loaded.masker, journal: (context) => new Journal(w.store, bus, systemClock, loaded.masker, context, process.env, undefined, route) });
  } finally {
    await notifier.flush();
    await w.close();
  }
}

export async function incidentExportCommand(flags: IncidentExportFlags, out: Output): Promise<number> {
  const choice = checkIncidentFlags(flags, out.json);
  const loaded = await fullConfig(flags, out);
  const incident = await withIncidents(loaded, out, (deps) =>
    openIncident({ app: loaded.config.app, environment: loaded.environment, type: choice.type, severity: choice.severity, details: choice.details, by: resolveActor(flags.actor), deploymentIds: flags.deployment ?? [] }, deps),
  );
  if (choice.format === 'json') out.result(incidentJson(incident));
  else out.line(incidentMarkdown(incident).trimEnd());
  return EXIT.ok;
}

export interface IncidentListFlags extends GlobalOptions {
  status?: string;
  limit?: string;
  all?: boolean;
}

function parseIncidentStatus(status: string | undefined): IncidentStatus | undefined {
  if (status === undefined) return undefined;
  if (status === 'open' || status === 'resolved') return status;
  throw new UsageError(`--status: expected open or resolved (got "${status}")`);
}

function parseLimit(limit: string | undefined): number {
  if (limit === undefined) return 50;
  if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > 10_000) throw new UsageError(`--limit: expected a whole number from 1 to 10000 (got "${limit}")`);
  return Number(limit);
}

export async function incidentListCommand(flags: IncidentListFlags, out: Output): Promise<number> {
  const status = parseIncidentStatus(flags.status);
  const limit = parseLimit(flags.limit);
  const loaded = await fullConfig(flags, out);
  const w = await wire({ storeUrl: loaded.config.store.url, root: loaded.root });
  try {
    const rows = await w.store.listIncidents({ app: loaded.config.app, ...(flags.all ? {} : { environment: loaded.environment }), ...(status ? { status } : {}), limit });
    if (out.json) out.result(rows.map(incidentJson));
    else if (rows.length === 0) out.line('no incidents');
    else for (const r of rows) out.line(incidentLine(r));
    return EXIT.ok;
  } finally {
    await w.close();
  }
}

export interface IncidentResolveFlags extends GlobalOptions {
  resolution?: string;
  actor?: string;
}

export async function incidentResolveCommand(id: string, flags: IncidentResolveFlags, out: Output): Promise<number> {
  const loaded = await fullConfig(flags, out);
  const { incident, already } = await withIncidents(loaded, out, (deps) => resolveIncident(loaded.config.app, { id, by: resolveActor(flags.actor), resolution: flags.resolution ?? null }, deps));
  if (out.json) out.result({ ...incidentJson(incident), already });
  else out.line(already ? `${id} was already resolved by ${incident.resolvedBy} at ${incident.resolvedAt}` : `resolved ${id} as ${incident.resolvedBy} (open for ${incidentJson(incident).time_to_restore_seconds as number} s)`);
  return EXIT.ok;
}
