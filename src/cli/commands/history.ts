import { humanDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import type { AcknowledgementRow, DeploymentRow, Store } from '../../store/contract.js';
import { lightConfig } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { table, type GlobalOptions, type Output } from '../output.js';
import { openStore } from '../../store/index.js';

export const DEFAULT_HISTORY_LIMIT = 20;

export interface HistoryFlags extends GlobalOptions {
  limit?: string;
  before?: string;
}

export function parseLimit(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`--limit: expected a whole number from 1 to 10000 (got "${value}")`);
  return n;
}

/** `shipgate history`: deployments newest first. */
export async function historyCommand(flags: HistoryFlags, out: Output): Promise<number> {
  const limit = parseLimit(flags.limit, DEFAULT_HISTORY_LIMIT);
  const settings = await lightConfig(flags, out);
  const store = await openStore(settings.storeUrl, { root: settings.root });
  try {
    const rows = await store.listDeployments({ app: settings.app, environment: flags.env, limit, beforeId: flags.before });
    const acks = await acknowledgementsOf(store, rows);
    if (out.json) out.result(rows.map((r) => toJson(r, acks)));
    else if (rows.length === 0) out.line('no deployments yet');
    else out.line(table(['ID', 'ENV', 'KIND', 'VERSION', 'STATUS', 'STARTED', 'TOOK', 'BY'], rows.map((r) => toRow(r, acks))));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

type Acks = Map<string, AcknowledgementRow>;

/** Acknowledgements of the failed rollbacks on the page (one query, only when there is one). */
async function acknowledgementsOf(store: Store, rows: DeploymentRow[]): Promise<Acks> {
  const failed = rows.filter((r) => r.status === 'rollback_failed').map((r) => r.id);
  if (failed.length === 0) return new Map();
  return new Map((await store.listAcknowledgements(failed)).map((a) => [a.deploymentId, a]));
}

function toJson(r: DeploymentRow, acks: Acks): Record<string, unknown> {
  const ack = acks.get(r.id);
  return {
    deployment_id: r.id,
    environment: r.environment,
    kind: r.kind,
    version: r.version,
    previous_version: r.previousVersion,
    status: r.status,
    triggered_by: r.triggeredBy,
    reason: r.reason,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    rollback_of: r.rollbackOf,
    error: r.error,
    ...(r.status === 'rollback_failed' ? { acknowledged: ack ? { by: ack.by, reason: ack.reason, at: ack.at } : null } : {}),
  };
}

function toRow(r: DeploymentRow, acks: Acks): string[] {
  const took = r.finishedAt ? humanDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '-';
  const status = r.status === 'rollback_failed' ? `${r.status} (${acks.has(r.id) ? `acknowledged by ${acks.get(r.id)!.by}` : 'NOT acknowledged'})` : r.status;
  return [r.id, r.environment, r.kind, r.version, status, r.startedAt.replace('T', ' ').slice(0, 19), took, r.triggeredBy];
}
