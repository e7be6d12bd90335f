import { existsSync } from 'node:fs';
import { capabilitiesOf } from '../../providers/capabilities.js';
import type { LoadedConfig } from '../../config/load.js';
import { NotFound } from '../../errors.js';
import type { RollbackRequest } from '../../pipeline/deployment.js';
import { dryRun } from '../../pipeline/dry-run.js';
import { planRollback } from '../../pipeline/rollback-plan.js';
import { checkRollbackFlags } from '../../pipeline/rollback-type.js';
import { systemClock } from '../../runtime/clock.js';
import { openExistingStore } from '../../store/index.js';
import { EXIT } from '../exit-codes.js';
import { resolveActor } from '../../runtime/actor.js';
import { fullConfig } from '../pipeline-context.js';
import type { GlobalOptions, Output } from '../output.js';
import { runPipeline } from '../run-pipeline.js';
import { durationFlag } from './deploy.js';
import { printPlan } from './plan-output.js';

export interface RollbackFlags extends GlobalOptions {
  type?: string;
  to?: string;
  db?: string;
  steps?: string;
  backup?: string;
  dryRun?: boolean;
  reason?: string;
  force?: boolean;
  actor?: string;
  lockWait?: string;
  timeout?: string;
}

/**
 * `shipgate rollback [--type app|migration|database|auto]`: the app redeploys the previous
 * release (or --to) through the provider; the data types undo what the live deployment did to
 * its databases, after a safety backup. Gates are skipped unless applyToRollback.
 */
export async function rollbackCommand(flags: RollbackFlags, out: Output): Promise<number> {
  // Flags that contradict each other are refused before anything is loaded or opened.
  const choice = checkRollbackFlags(flags);
  const lockWaitMs = durationFlag('lock-wait', flags.lockWait);
  const timeoutMs = durationFlag('timeout', flags.timeout);
  const loaded = await fullConfig(flags, out);
  const request: RollbackRequest = { to: flags.to ?? null, actor: resolveActor(flags.actor), reason: flags.reason ?? null, force: flags.force === true, ...choice };
  if (flags.dryRun) return rollbackDryRun(loaded, request, out);
  return runPipeline(loaded, out, { lockWaitMs, timeoutMs }, (p, control) => p.rollback(request, control));
}

/** Decides the rollback as a real one would (read-only: no lock, no store created), and prints it. */
async function rollbackDryRun(loaded: LoadedConfig, request: RollbackRequest, out: Output): Promise<number> {
  const store = await openExistingStore(loaded.config.store.url, { root: loaded.root });
  if (!store) throw new NotFound(`nothing to roll back: ${loaded.config.app}/${loaded.environment} has no deployment yet`);
  try {
    const plan = await planRollback(loaded, store, systemClock.now(), request);
    const described = await dryRun(loaded, store, { kind: 'rollback', version: plan.version, previousVersion: plan.live.version, rollbackOf: plan.rollbackOf, actor: request.actor, reason: request.reason, rollback: plan.rollback });
    printPlan(described, out);
    return described.gates.some((g) => g.result === 'block') ? EXIT.blocked : EXIT.ok;
  } finally {
    await store.close();
  }
}

export interface ResumeFlags extends GlobalOptions {
  actor?: string;
  lockWait?: string;
}

/**
 * `shipgate resume`: continues a paused rollout; otherwise finishes an interrupted
 * deployment according to resume.policy.
 */
export async function resumeCommand(flags: ResumeFlags, out: Output): Promise<number> {
  const lockWaitMs = durationFlag('lock-wait', flags.lockWait);
  const loaded = await fullConfig(flags, out);
  if (await resumePausedRollout(loaded, flags, out)) return EXIT.ok;
  return runPipeline(loaded, out, { lockWaitMs }, (p, control) => p.resume(resolveActor(flags.actor), control));
}

/** True when a paused rollout was resumed, through the provider's rollout session (the local agent's, or the store's). */
async function resumePausedRollout(loaded: LoadedConfig, flags: GlobalOptions, out: Output): Promise<boolean> {
  const { root, environment } = loaded;
  const session = capabilitiesOf(loaded.config.provider.type).session;
  if (session === 'store') {
    if (!(await pausedInStore(loaded))) return false;
    const { rolloutCommand } = await import('./rollout-control.js');
    await rolloutCommand('resume', { ...flags, env: environment }, out);
    return true;
  }
  if (session !== 'agent') return false;
  const { agentPaths, agentStateDir } = await import('../../agent/paths.js');
  const { agentStatus } = await import('../../agent/lifecycle.js');
  const paths = agentPaths(agentStateDir(root, environment));
  if (!existsSync(paths.socket)) return false;
  const status = await agentStatus(paths);
  if (!status?.rollout || status.rollout.state !== 'active' || !status.rollout.paused) return false;
  const { rolloutCommand } = await import('./rollout-control.js');
  await rolloutCommand('resume', { ...flags, env: environment }, out);
  return true;
}

/** A deployment of the environment that runs now, in stage deploy, whose rollout is paused (its journal says so). */
async function pausedInStore(loaded: LoadedConfig): Promise<boolean> {
  const [{ openStore }, { rolloutPaused }] = await Promise.all([import('../../store/index.js'), import('../../rollout/store-session.js')]);
  const store = await openStore(loaded.config.store.url, { root: loaded.root });
  try {
    const running = (await store.listUnfinished(loaded.config.app, loaded.environment)).filter((d) => d.kind === 'deploy' && d.currentStage === 'deploy');
    for (const d of running) if (await rolloutPaused(store, d.id)) return true;
    return false;
  } finally {
    await store.close();
  }
}
