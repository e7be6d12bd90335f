import { humanDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import { Pipeline, type RunOutcome } from '../pipeline/deployment.js';
import type { DeployResult } from '../pipeline/finalize.js';
import { openStore } from '../store/index.js';
import { pipelineDeps } from './pipeline-context.js';
import { ackCommand } from '../pipeline/stop-sign.js';
import { EXIT, exitCodeForStatus } from './exit-codes.js';
import { trapInterrupts } from './interrupt.js';
import type { Output } from './output.js';
import { attachLiveRenderer } from './render/live.js';
import { attachPlainRenderer } from './render/plain.js';

export interface PipelineRunOptions {
  lockWaitMs?: number;
  timeoutMs?: number;
}

/** Runs deploy/rollback/resume with the right renderer, signals and exit code. */
export async function runPipeline(loaded: LoadedConfig, out: Output, opts: PipelineRunOptions, act: (p: Pipeline, control: Parameters<Pipeline['deploy']>[1]) => Promise<RunOutcome>): Promise<number> {
  const store = await openStore(loaded.config.store.url, { root: loaded.root });
  const deps = pipelineDeps(store);
  const interrupts = trapInterrupts(out);
  const live = out.tty ? attachLiveRenderer(deps.bus, out) : null;
  const detachPlain = live ? () => undefined : attachPlainRenderer(deps.bus, out);
  try {
    const outcome = await act(new Pipeline(loaded, deps), { signal: interrupts.signal, killSignal: interrupts.killSignal, lockWaitMs: opts.lockWaitMs, timeoutMs: opts.timeoutMs });
    await live?.done();
    return report(outcome, out);
  } finally {
    live?.detach();
    detachPlain();
    interrupts.dispose();
    await store.close();
  }
}

function summary(r: DeployResult): Record<string, unknown> {
  return { deployment_id: r.deploymentId, kind: r.kind, version: r.version, status: r.status, exit_code: exitCodeForStatus(r.status), record_path: r.recordPath, error: r.error };
}

function report(outcome: RunOutcome, out: Output): number {
  const stuck = outcome.recovered.find((r) => r.status === 'rollback_failed');
  const code = outcome.result ? exitCodeForStatus(outcome.result.status) : stuck ? EXIT.rollbackFailed : EXIT.ok;
  for (const r of [...outcome.recovered, ...(outcome.result ? [outcome.result] : [])]) {
    if (r.status === 'rollback_failed') out.err(loudRollbackFailure(r));
  }
  if (out.json) {
    out.result({ ...(outcome.result ? { ...summary(outcome.result), record: outcome.result.record } : { status: 'nothing_to_do' }), exit_code: code, recovered: outcome.recovered.map(summary) });
    return code;
  }
  for (const r of outcome.recovered) out.line(`recovered ${r.deploymentId} (${r.version}): ${r.status}`);
  const r = outcome.result;
  if (!r) {
    if (outcome.recovered.length === 0) out.line('nothing to resume: no interrupted deployment');
    return code;
  }
  out.line('');
  out.line(headline(r, out));
  if (r.error) out.line(`  why: ${r.error}`);
  for (const w of r.record.warnings ?? []) out.line(out.paint('yellow', `  warning: ${w}`));
  if (r.status === 'succeeded' && r.record.rollback_deadline) out.line(`  rollback available until ${r.record.rollback_deadline} (shipgate rollback --env ${r.environment})`);
  if (r.pruned.length > 0) out.line(`  pruned releases: ${r.pruned.join(', ')}`);
  out.line(`  record: ${r.recordPath}`);
  return code;
}

function headline(r: DeployResult, out: Output): string {
  const took = r.record.finished_at ? ` in ${humanDuration(Date.parse(r.record.finished_at) - Date.parse(r.record.started_at))}` : '';
  const what = `${r.kind} ${r.version} to ${r.app}/${r.environment}`;
  switch (r.status) {
    case 'succeeded':
      return out.paint('green', `✔ ${what} succeeded${took} (${r.deploymentId})`);
    case 'blocked':
      return out.paint('yellow', `■ ${what} blocked by a gate; nothing changed (${r.deploymentId})`);
    case 'rolled_back':
      return out.paint('red', `✖ ${what} failed and was rolled back to ${r.previousVersion}${took} (${r.deploymentId})`);
    case 'cancelled':
      return out.paint('yellow', `■ ${what} cancelled; what began was undone (${r.deploymentId})`);
    case 'rollback_failed':
      return out.paint('red', `✖✖ ${what} failed AND ITS ROLLBACK FAILED (${r.deploymentId})`);
    default:
      return out.paint('red', `✖ ${what} ${r.status}${took} (${r.deploymentId})`);
  }
}

function loudRollbackFailure(r: DeployResult): string {
  return [
    '',
    '!!! ROLLBACK FAILED — A HUMAN MUST LOOK !!!',
    `${r.app}/${r.environment} may be running neither ${r.version} nor ${r.previousVersion ?? 'the previous version'}.`,
    `The journal is kept: shipgate show ${r.deploymentId} --events`,
    `No deploy or rollback of ${r.environment} starts until someone has looked (exit 7 meanwhile).`,
    `Fix the target by hand, then: ${ackCommand(r.deploymentId)}`,
    '',
  ].join('\n');
}

