import { existsSync } from 'node:fs';
import { EXIT } from '../exit-codes.js';
import { resolveActor } from '../../runtime/actor.js';
import { fullConfig } from '../pipeline-context.js';
import type { GlobalOptions, Output } from '../output.js';
import { runPipeline } from '../run-pipeline.js';
import { durationFlag } from './deploy.js';

export interface RollbackFlags extends GlobalOptions {
  to?: string;
  reason?: string;
  force?: boolean;
  actor?: string;
  lockWait?: string;
  timeout?: string;
}

/** `shipgate rollback`: redeploys the previous release (or --to) through the provider; gates skipped unless applyToRollback. */
export async function rollbackCommand(flags: RollbackFlags, out: Output): Promise<number> {
  const lockWaitMs = durationFlag('lock-wait', flags.lockWait);
  const timeoutMs = durationFlag('timeout', flags.timeout);
  const loaded = await fullConfig(flags, out);
  const request = { to: flags.to ?? null, actor: resolveActor(flags.actor), reason: flags.reason ?? null, force: flags.force === true };
  return runPipeline(loaded, out, { lockWaitMs, timeoutMs }, (p, control) => p.rollback(request, control));
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
  if (await resumePausedRollout(loaded.root, loaded.environment, flags, out)) return EXIT.ok;
  return runPipeline(loaded, out, { lockWaitMs }, (p, control) => p.resume(resolveActor(flags.actor), control));
}

/** True when a paused rollout was resumed (only with the local agent). */
async function resumePausedRollout(root: string, environment: string, flags: GlobalOptions, out: Output): Promise<boolean> {
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
