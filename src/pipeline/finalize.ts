import { join, relative } from 'node:path';
import { DEFAULT_CONFIG_FILE } from '../config/environments.js';
import type { CommandScope } from '../reports/commands.js';
import type { ReportPaths } from '../reports/contract.js';
import { writeReport } from '../reports/write.js';
import { toMs } from '../config/duration.js';
import { ensurePrivateDir, writePrivateFile } from '../runtime/private-files.js';
import { errorMessage } from '../errors.js';
import type { DeploymentRow } from '../store/contract.js';
import type { BaseContext } from './context.js';
import { buildRecord, type DeploymentRecord } from './record.js';
import { pruneInstanceLogs } from './instance-logs.js';
import { pruneReleases, type PruneResult, type RefusedPrune } from './releases.js';
import type { SagaOutcome } from './saga.js';

export interface DeployResult {
  deploymentId: string;
  kind: DeploymentRow['kind'];
  app: string;
  environment: string;
  version: string;
  previousVersion: string | null;
  status: DeploymentRow['status'];
  error: string | null;
  record: DeploymentRecord;
  recordPath: string;
  /** The failure report or rollback instructions (null when none was written: a successful rollback, or a write that failed). */
  reportPaths: ReportPaths | null;
  /** Releases pruned after a successful deploy. */
  pruned: string[];
  /** Release rows pruning left alone: their folder is not one of this project's release folders. */
  pruneRefused: RefusedPrune[];
}

/** Records the outcome: terminal status first, then release bookkeeping, the record, and deploy:finished. */
export async function finalize(base: BaseContext, outcome: SagaOutcome): Promise<DeployResult> {
  const { facts, store, config } = base;
  const finishedAt = new Date(base.clock.now()).toISOString();
  await store.updateDeployment(facts.id, { status: outcome.status, finishedAt, error: outcome.error, currentStage: null });
  const housekeeping = outcome.status === 'succeeded' && facts.kind === 'deploy';
  const { pruned, refused } = housekeeping ? await keepReleases(base, finishedAt) : { pruned: [], refused: [] };
  if (housekeeping) await keepBackups(base);
  const row = (await store.getDeployment(facts.id))!;
  const record = base.masker.maskValue(
    buildRecord({ row, events: await store.listEvents(facts.id), rollbackWindowMs: toMs(config.rollback.window), services: config.services ?? [facts.app] }),
  );
  const reported = await writeReport(record, reportScope(base), { store, reportsDir: base.paths.reportsDir, masker: base.masker });
  if (reported.paths) record.report = reported.paths;
  if (reported.warning) record.warnings.push(reported.warning);
  const recordPath = join(base.paths.recordsDir, `${facts.id}.json`);
  await store.saveRecord(facts.id, record as unknown as Record<string, unknown>);
  ensurePrivateDir(base.paths.recordsDir);
  await writePrivateFile(recordPath, `${JSON.stringify(record, null, 2)}\n`);
  await base.journal.append('deploy:finished', { deploymentId: facts.id, status: outcome.status, durationMs: Date.parse(finishedAt) - Date.parse(row.startedAt), error: outcome.error, recordPath });
  // The row's previous version: the target's, when it disagreed with the store at the start.
  return { deploymentId: facts.id, kind: facts.kind, app: facts.app, environment: facts.environment, version: facts.version, previousVersion: row.previousVersion, status: outcome.status, error: outcome.error, record, recordPath, reportPaths: reported.paths, pruned, pruneRefused: refused };
}

/** How a report's commands name the environment and, when it is not the default file, the config. */
function reportScope(base: BaseContext): CommandScope {
  const file = relative(base.loaded.root, base.loaded.path);
  return { environment: base.facts.environment, configFile: file === DEFAULT_CONFIG_FILE ? null : file };
}

/** Prunes each database's backups by its retention; what fails is journaled (the record's backup_prune_errors), never thrown. */
async function keepBackups(base: BaseContext): Promise<void> {
  const { facts, store, config } = base;
  const databases = Object.entries(config.databases ?? {});
  if (databases.length === 0) return;
  const { pruneAllBackups } = await import('../databases/prune-backups.js');
  const report = await pruneAllBackups({ app: facts.app, environment: facts.environment, databases, root: base.paths.root, store, windowMs: toMs(config.rollback.window), nowMs: base.clock.now() });
  if (report.pruned.length > 0 || report.errors.length > 0) await base.journal.append('backups:pruned', { deploymentId: facts.id, ...report });
}

/** Registers the live version as a release and prunes old ones; the live one and the rollback target stay. */
async function keepReleases(base: BaseContext, nowIso: string): Promise<PruneResult> {
  const { facts, store, config } = base;
  if (!(await store.getRelease(facts.app, facts.version))) {
    await store.upsertRelease({ app: facts.app, version: facts.version, createdAt: nowIso, dir: null, manifestSha256: null, start: {}, artifacts: [] });
  }
  const protect = new Set([facts.version, ...(facts.previousVersion ? [facts.previousVersion] : [])]);
  // Releases are per app: what is live, or the rollback target, in any environment stays.
  for (const env of base.loaded.environments) {
    const live = await store.lastSucceeded(facts.app, env);
    for (const v of [live?.version, live?.previousVersion]) if (v) protect.add(v);
  }
  const result = await pruneReleases(store, facts.app, config.build?.keep ?? Number.POSITIVE_INFINITY, protect, base.paths.releasesDir);
  // Housekeeping after a deploy that succeeded: a folder that cannot be removed is reported, never a failure.
  await pruneInstanceLogs(base.paths.root, result.pruned).catch((err: unknown) =>
    base.journal.append('deploy:warning', { deploymentId: facts.id, message: `instance logs of pruned releases not removed: ${errorMessage(err)}` }),
  );
  return result;
}
