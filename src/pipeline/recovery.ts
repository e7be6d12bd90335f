import type { DeploymentRow } from '../store/contract.js';
import type { BaseContext } from './context.js';
import { finalize, type DeployResult } from './finalize.js';
import { stagesFor, stagesInPlan } from './plan.js';
import { rollbackFactsOf } from './rollback-type.js';
import { executeSaga, undoAndConclude, type SagaOutcome } from './saga.js';
import { deriveSagaState, firstUnfinished, isUndoUnderway } from './saga-state.js';
import { DEFAULT_DATA_OPTIONS, type DataOptions, type DeploymentFacts } from './stage.js';
import { endOrphanedCommands } from './orphans.js';
import { dropDeadRunScratch } from './scratch-recovery.js';

/** Facts of a stored deployment, so a later process can finish it. */
export function factsFromRow(row: DeploymentRow): DeploymentFacts {
  return {
    id: row.id,
    app: row.app,
    environment: row.environment,
    kind: row.kind,
    version: row.version,
    previousVersion: row.previousVersion,
    actor: row.triggeredBy,
    reason: row.reason,
    gitSha: row.gitSha,
    gitRef: row.gitRef,
    emergency: (row.meta.emergency as DeploymentFacts['emergency']) ?? null,
    rollbackOf: row.rollbackOf,
    data: { ...DEFAULT_DATA_OPTIONS, ...((row.meta.data as Partial<DataOptions> | undefined) ?? {}) },
    rollback: rollbackFactsOf(row.meta),
  };
}

/**
 * Finishes a deployment whose process died. Policy `rollback` undoes every stage
 * that began; `resume` re-runs from the interrupted stage (stages are idempotent).
 * An undo that was under way is always completed, whatever the policy. First of
 * all, commands the dead run left running on this host are ended.
 */
export async function recoverDeployment(row: DeploymentRow, base: BaseContext, why: string, host: string): Promise<DeployResult> {
  const policy = base.config.resume.policy;
  await base.journal.append('recovery:started', { deploymentId: row.id, policy, reason: why });
  // What the dead run started may still be running: end it before anything is undone or re-run.
  await endOrphanedCommands(base, row, host);
  await dropDeadRunScratch(base);
  const state = deriveSagaState(await base.store.listEvents(row.id));
  const stages = stagesInPlan(state.plan, stagesFor(row.kind, base.config, rollbackFactsOf(row.meta)?.type));
  const autoRollback = row.meta.autoRollback !== false;
  let outcome: SagaOutcome;
  const started = state.plan.length > 0;
  if (started && firstUnfinished(state) >= state.plan.length) {
    outcome = { status: 'succeeded', error: null, failedStage: null, undone: [], undoFailures: [] };
  } else if (policy === 'resume' && started && !isUndoUnderway(state)) {
    await base.store.updateDeployment(row.id, { status: 'running' });
    outcome = await executeSaga(stages, base, { fromIndex: firstUnfinished(state), autoRollback });
  } else {
    const failedStage = state.plan.find((n) => state.stages.get(n)!.started && !state.stages.get(n)!.finished) ?? null;
    outcome = await undoAndConclude(stages, base, { error: `interrupted: ${why}`, failedStage, cancelled: false });
  }
  return finalize(base, outcome);
}
