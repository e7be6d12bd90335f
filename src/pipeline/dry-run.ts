import type { LoadedConfig } from '../config/load.js';
import type { GateResult } from '../gates/contract.js';
import { createProvider } from '../providers/index.js';
import type { Store } from '../store/contract.js';
import type { DeployRequest } from './deployment.js';
import { statePaths } from './deps.js';
import { checkGates, type GateCheckDeps } from './gate-check.js';
import { describePlan, stagesFor, type PlannedStage } from './plan.js';
import type { DeploymentFacts } from './stage.js';

export interface DryRunPlan {
  facts: DeploymentFacts;
  gates: GateResult[];
  stages: PlannedStage[];
}

export const DRY_RUN_ID = '(dry-run)';

/** Evaluates the gates and describes every stage, step and command. Changes nothing. */
export async function dryRun(loaded: LoadedConfig, store: Store | null, req: DeployRequest, deps?: GateCheckDeps): Promise<DryRunPlan> {
  const gates = await checkGates(loaded, { version: req.version, actor: req.actor, gitSha: req.gitSha, emergency: req.emergency }, deps);
  const live = store ? await store.lastSucceeded(loaded.config.app, loaded.environment) : undefined;
  const facts: DeploymentFacts = {
    id: DRY_RUN_ID,
    app: loaded.config.app,
    environment: loaded.environment,
    kind: 'deploy',
    version: req.version,
    previousVersion: live?.version ?? null,
    actor: req.actor,
    reason: req.reason ?? null,
    gitSha: req.gitSha ?? null,
    gitRef: req.gitRef ?? null,
    emergency: req.emergency ?? null,
    rollbackOf: null,
  };
  const ctx = { facts, config: loaded.config, loaded, paths: statePaths(loaded), provider: createProvider(loaded.config.provider), masker: loaded.masker };
  return { facts, gates, stages: describePlan(stagesFor('deploy', loaded.config), ctx) };
}
