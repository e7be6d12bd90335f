import { humanDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import { Pipeline, type RunOutcome } from '../pipeline/deployment.js';
import type { Wiring } from '../pipeline/wiring.js';
import type { DeployResult } from '../pipeline/finalize.js';
import { toMs } from '../config/duration.js';
import { errorMessage } from '../errors.js';
import { EventBus } from '../pipeline/events.js';
import { wire } from '../pipeline/wiring.js';
import { ackCommand } from '../pipeline/stop-sign.js';
import { EXIT, exitCodeForStatus } from './exit-codes.js';
import { setActiveRun } from './guard.js';
import { trapInterrupts } from './interrupt.js';
import type { Output } from './output.js';
import { attachLiveRenderer } from './render/live.js';
import { prunedText } from './render/describe-event.js';
import { attachPlainRenderer } from './render/plain.js';
import { attachJsonLogRenderer } from './render/json-log.js';
import { attachNotifier } from './notifier.js';
import { ingestAgentEvents } from '../pipeline/agent-events.js';

export interface PipelineRunOptions {
  lockWaitMs?: number;
  timeoutMs?: number;
}

/** Runs deploy/rollback/resume with the right renderer, signals and exit code. */
export async function runPipeline(loaded: LoadedConfig, out: Output, opts: PipelineRunOptions, act: (p: Pipeline, control: Parameters<Pipeline['deploy']>[1]) => Promise<RunOutcome>): Promise<number> {
  const view: { live: ReturnType<typeof attachLiveRenderer> | null } = { live: null };
  const render = (bus: EventBus): (() => void) => {
    if (out.logger) return attachJsonLogRenderer(bus, out);
    if (!out.tty) return attachPlainRenderer(bus, out);
    view.live = attachLiveRenderer(bus, out);
    return view.live.detach;
  };
  const notifier = attachNotifier(loaded, out);
  const bus = new EventBus({ onListenerError: (f) => out.err(`warning: a subscriber of ${f.type} failed: ${errorMessage(f.error)} (the deployment goes on)`) });
  const w = await wire({
    storeUrl: loaded.config.store.url,
    root: loaded.root,
    storeRetryMs: toMs(loaded.config.store.retry),
    bus,
    subscribers: [render, (b) => trackActiveRun(b, (context, masker) => w.journal(context, masker), loaded), (b) => notifier.attach(b)],
    onStoreRetry: storeRetryWarning(out, toMs(loaded.config.store.retry)),
  });
  const interrupts = trapInterrupts(out);
  // What earlier commands left pending goes out now, beside this run.
  notifier.start(w.store);
  const agentEvents = (): Promise<void> => journalAgentEvents(loaded, w.store, out);
  await agentEvents();
  try {
    const outcome = await act(new Pipeline(loaded, w.deps), { signal: interrupts.signal, killSignal: interrupts.killSignal, lockWaitMs: opts.lockWaitMs, timeoutMs: opts.timeoutMs });
    await view.live?.done();
    return report(outcome, out);
  } finally {
    // Also when the run threw (interrupted by a store outage): the live view lets go of the terminal and prints what it held.
    await view.live?.done();
    setActiveRun(null);
    interrupts.dispose();
    // What the agent saw during this run (a crash loop of the new version) joins the journal now.
    await agentEvents();
    await notifier.flush();
    await w.close();
  }
}

/** The local agents' own events into the journal; a failure is a warning, never the run's. */
async function journalAgentEvents(loaded: LoadedConfig, store: Wiring['deps']['store'], out: Output): Promise<void> {
  try {
    await ingestAgentEvents({ store, root: loaded.root, app: loaded.config.app, masker: loaded.masker });
  } catch (err) {
    out.err(`warning: the agent's events could not be journaled now (${errorMessage(err)}); the next command tries again`);
  }
}

/** Lets the process guard journal an interruption of the deployment under way. */
function trackActiveRun(bus: EventBus, journal: Wiring['journal'], loaded: LoadedConfig): () => void {
  return bus.onAny((e) => {
    if (e.type === 'deploy:started' || e.type === 'recovery:started') {
      const j = journal(e.context, loaded.masker);
      setActiveRun({ deploymentId: e.context.deploymentId, journal: (reason) => j.append('run:interrupted', { deploymentId: e.context.deploymentId, reason }) });
    }
    if (e.type === 'deploy:finished') setActiveRun(null);
  });
}

/** One warning per outage (at most every 5 s) while the store is retried. */
function storeRetryWarning(out: Output, budgetMs: number): (info: { method: string; error: unknown }) => void {
  let last = 0;
  return ({ error }) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    out.err(`warning: the state store is not answering (${errorMessage(error)}); retrying for up to ${humanDuration(budgetMs)}`);
  };
}

function summary(r: DeployResult): Record<string, unknown> {
  const refused = r.pruneRefused.length > 0 ? { prune_refused: r.pruneRefused } : {};
  return { deployment_id: r.deploymentId, kind: r.kind, version: r.version, status: r.status, exit_code: exitCodeForStatus(r.status), record_path: r.recordPath, report_paths: r.reportPaths, error: r.error, ...refused };
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
  if (r.status === 'succeeded') for (const line of dataRollbackLines(r)) out.line(line);
  for (const w of r.record.warnings ?? []) out.line(out.paint('yellow', `  warning: ${w}`));
  if (r.status === 'succeeded' && r.record.rollback_deadline) out.line(`  rollback available until ${r.record.rollback_deadline} (shipgate rollback --env ${r.environment})`);
  if (r.pruned.length > 0) out.line(`  pruned releases: ${r.pruned.join(', ')}`);
  if (r.record.backups_pruned?.length) out.line(`  pruned backups: ${prunedText(r.record.backups_pruned)}`);
  for (const x of r.record.backup_prune_errors ?? []) out.err(out.paint('yellow', `  warning: ${x.database}: ${x.message}`));
  for (const x of r.pruneRefused) out.err(out.paint('yellow', `  release ${x.version} not pruned: its recorded folder ${x.dir} is ${x.reason}; left alone (check the releases table)`));
  out.line(`  record: ${r.recordPath}`);
  if (r.reportPaths) out.line(`  ${r.reportPaths.kind === 'failure' ? 'failure report' : 'rollback instructions'}: ${r.reportPaths.markdown}`);
  return code;
}

function headline(r: DeployResult, out: Output): string {
  const took = r.record.finished_at ? ` in ${humanDuration(Date.parse(r.record.finished_at) - Date.parse(r.record.started_at))}` : '';
  const type = r.record.rollback_type;
  const what = type === 'migration' || type === 'database' ? `rollback --type ${type} of ${r.app}/${r.environment} (${r.version} stays live)` : `${r.kind} ${r.version} to ${r.app}/${r.environment}`;
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

/** What a rollback did to each database: the writes a restore lost, and how to undo it (its safety backup). */
function dataRollbackLines(r: DeployResult): string[] {
  return (r.record.data_rollback ?? []).map((d) => {
    const did = d.action === 'down' ? `reverted ${(d.migrations ?? []).join(', ')}` : `restored ${d.backup_id}: every write made since ${d.writes_lost_since} is lost`;
    const undo = d.safety_backup ? `; safety backup ${d.safety_backup} (to undo: shipgate rollback --type database --db ${d.database} --backup ${d.safety_backup})` : '';
    return `  ${d.database}: ${did}${undo}`;
  });
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

