import { Cancelled, GateBlocked, StageFailed, errorMessage } from '../errors.js';
import type { DeploymentStatus } from '../store/contract.js';
import { abortReason as abortErrorOf } from '../runtime/clock.js';
import { StoreUnavailable } from '../store/resilient.js';
import { forStage, type BaseContext } from './context.js';
import { deriveSagaState, stagesToUndo, type SagaState } from './saga-state.js';
import type { Stage } from './stage.js';
import { checkedOutput, journaledOutput } from './stage-output.js';

export interface SagaOutcome {
  status: DeploymentStatus;
  error: string | null;
  failedStage: string | null;
  undone: string[];
  undoFailures: { stage: string; error: string }[];
}

interface Failure {
  stage: string;
  error: Error;
}

/** Runs stages in order from `fromIndex`; stops at the first failure or at a safe point after an abort. */
export async function runForward(stages: readonly Stage[], base: BaseContext, fromIndex: number): Promise<Failure | null> {
  const id = base.facts.id;
  for (const stage of stages.slice(fromIndex)) {
    if (base.signal.aborted) return { stage: stage.name, error: abortErrorOf(base.signal) };
    await base.store.updateDeployment(id, { currentStage: stage.name });
    await base.journal.append('stage:started', { deploymentId: id, stage: stage.name });
    const started = base.clock.now();
    try {
      const output = checkedOutput(stage, (await stage.run(forStage(base, stage.name))) ?? undefined);
      await base.journal.append('stage:finished', { deploymentId: id, stage: stage.name, durationMs: base.clock.now() - started, ...(output ? { output } : {}) });
    } catch (thrown) {
      // Without a store nothing can be journaled, so nothing more may be done: the run stops as interrupted.
      if (thrown instanceof StoreUnavailable) throw thrown;
      // Once the run is aborted, a stage that throws was (almost surely) stopped by the abort.
      const error = base.signal.aborted ? abortErrorOf(base.signal) : (thrown as Error);
      const output = (error as { output?: Record<string, unknown> }).output;
      await base.journal.append('stage:failed', { deploymentId: id, stage: stage.name, durationMs: base.clock.now() - started, error: base.masker.mask(errorMessage(error)), ...(output ? { output } : {}) });
      return { stage: stage.name, error };
    }
  }
  // The end is a safe point too: an interrupt during the last stage still means "stop and undo".
  const last = stages[stages.length - 1];
  if (base.signal.aborted && last) return { stage: last.name, error: abortErrorOf(base.signal) };
  return null;
}


/** Undoes stages newest first; stops at the first undo that fails (a human must look). */
export async function undoStages(names: readonly string[], stages: readonly Stage[], base: BaseContext, known?: SagaState): Promise<Pick<SagaOutcome, 'undone' | 'undoFailures'>> {
  // Undo is not cancellable by the first interrupt: give it signals of its own.
  const calm = new AbortController().signal;
  const undoBase: BaseContext = { ...base, signal: calm, killSignal: calm };
  const state = known ?? deriveSagaState(await base.store.listEvents(base.facts.id));
  const undone: string[] = [];
  const id = base.facts.id;
  for (const name of names) {
    const stage = stages.find((s) => s.name === name);
    if (!stage?.undo) continue;
    await base.journal.append('undo:started', { deploymentId: id, stage: name });
    const started = base.clock.now();
    try {
      const outcome = await stage.undo(forStage(undoBase, name), journaledOutput(stage, state.stages.get(name)?.output ?? null));
      await base.journal.append('undo:finished', { deploymentId: id, stage: name, durationMs: base.clock.now() - started, done: outcome.done, detail: outcome.detail });
      if (outcome.done) undone.push(name);
    } catch (err) {
      if (err instanceof StoreUnavailable) throw err;
      const message = base.masker.mask(err instanceof StageFailed ? err.detail : errorMessage(err));
      await base.journal.append('undo:failed', { deploymentId: id, stage: name, durationMs: base.clock.now() - started, error: message });
      return { undone, undoFailures: [{ stage: name, error: message }] };
    }
  }
  return { undone, undoFailures: [] };
}

/** Undoes every stage that began and decides the final status. */
export async function undoAndConclude(stages: readonly Stage[], base: BaseContext, cause: { error: string; failedStage: string | null; cancelled: boolean }): Promise<SagaOutcome> {
  const before = deriveSagaState(await base.store.listEvents(base.facts.id));
  // A recovery may finish an undo a dead process began: what it already undid counts.
  const already = [...before.stages.values()].filter((s) => s.undoDone).map((s) => s.name);
  const result = await undoStages(stagesToUndo(before), stages, base, before);
  const undone = [...already, ...result.undone];
  const { undoFailures } = result;
  const status: DeploymentStatus = undoFailures.length > 0 ? 'rollback_failed' : cause.cancelled ? 'cancelled' : undone.length > 0 ? 'rolled_back' : 'failed';
  const error = undoFailures.length > 0 ? `${cause.error}; then undo of stage "${undoFailures[0]!.stage}" failed: ${undoFailures[0]!.error}` : cause.error;
  return { status, error, failedStage: cause.failedStage, undone, undoFailures };
}

/** The saga: run forward; on failure undo what began (when rollback.auto is on). */
export async function executeSaga(stages: readonly Stage[], base: BaseContext, opts: { fromIndex: number; autoRollback: boolean }): Promise<SagaOutcome> {
  const failure = await runForward(stages, base, opts.fromIndex);
  if (!failure) return { status: 'succeeded', error: null, failedStage: null, undone: [], undoFailures: [] };
  const error = base.masker.mask(errorMessage(failure.error));
  const cancelled = failure.error instanceof Cancelled;
  if (failure.error instanceof GateBlocked) return { status: 'blocked', error, failedStage: failure.stage, undone: [], undoFailures: [] };
  if (!opts.autoRollback) {
    return { status: cancelled ? 'cancelled' : 'failed', error: `${error} (rollback.auto is off: nothing was undone)`, failedStage: failure.stage, undone: [], undoFailures: [] };
  }
  return undoAndConclude(stages, base, { error, failedStage: failure.stage, cancelled });
}
