import type { DeployRequest } from '../../pipeline/deployment.js';
import type { LoadedConfig } from '../../config/load.js';
import { MAX_DURATION, MAX_DURATION_MS, parseDuration } from '../../config/duration.js';
import { UsageError } from '../../errors.js';
import { dryRun } from '../../pipeline/dry-run.js';
import { resolveActor } from '../../runtime/actor.js';
import { commitTime, fullConfig, gitFacts, inferVersion } from '../pipeline-context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';
import { runPipeline } from '../run-pipeline.js';
import { isBlocked, printPlan } from './plan-output.js';
import { openExistingStore } from '../../store/index.js';

export interface DeployFlags extends GlobalOptions {
  dryRun?: boolean;
  reason?: string;
  emergency?: boolean;
  sha?: string;
  ref?: string;
  actor?: string;
  lockWait?: string;
  timeout?: string;
  rollback?: boolean;
  /** --no-backup */
  backup?: boolean;
  skipMigrations?: boolean;
  allowDestructive?: boolean;
  commitAt?: string;
}

export function durationFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) throw new UsageError(`--${name}: expected a duration like "30s", "10m" or "1h" (got "${value}")`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`--${name}: expected a duration of at most ${MAX_DURATION} (got "${value}")`);
  return ms;
}

export async function deployCommand(versionArg: string | undefined, flags: DeployFlags, out: Output): Promise<number> {
  if (flags.emergency && !flags.reason?.trim()) throw new UsageError('--emergency needs --reason "why this cannot wait" (it is recorded)');
  const lockWaitMs = durationFlag('lock-wait', flags.lockWait);
  const timeoutMs = durationFlag('timeout', flags.timeout);
  const loaded = await fullConfig(flags, out);
  const inferred = versionArg === undefined ? await inferVersion(loaded.root) : undefined;
  const version = versionArg ?? inferred;
  if (!version) throw new UsageError('no version given: pass one (shipgate deploy v1.2.3) or run on a tagged commit');
  const actor = resolveActor(flags.actor);
  const git = await gitFacts(loaded.root, flags, process.env, undefined, inferred);
  const commitAt = await commitTime(loaded.root, flags.commitAt, git.gitSha);
  const emergency = flags.emergency ? { by: actor, reason: flags.reason!.trim() } : null;
  const request = { version, actor, reason: flags.reason ?? null, ...git, commitAt, emergency, autoRollback: flags.rollback === false ? false : undefined, data: dataFlags(flags) };
  if (flags.dryRun) return dryRunCommand(loaded, request, out);
  return runPipeline(loaded, out, { lockWaitMs, timeoutMs }, (p, control) => p.deploy(request, control));
}

/** --no-backup, --skip-migrations, --allow-destructive: kept with the deployment and recorded. */
function dataFlags(flags: DeployFlags): DeployRequest['data'] {
  return { backup: flags.backup !== false, skipMigrations: flags.skipMigrations === true, allowDestructive: flags.allowDestructive === true };
}

async function dryRunCommand(loaded: LoadedConfig, request: Parameters<typeof dryRun>[2], out: Output): Promise<number> {
  const store = await openExistingStore(loaded.config.store.url, { root: loaded.root });
  try {
    const plan = await dryRun(loaded, store, request);
    printPlan(plan, out);
    return isBlocked(plan) ? EXIT.blocked : EXIT.ok;
  } finally {
    await store?.close();
  }
}
