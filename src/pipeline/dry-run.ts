import type { LoadedConfig } from '../config/load.js';
import type { GateResult } from '../gates/contract.js';
import { createProvider } from '../providers/index.js';
import type { Store } from '../store/contract.js';
import type { DeployRequest } from './deployment.js';
import { statePaths } from './deps.js';
import { checkGates, type GateCheckDeps } from './gate-check.js';
import { readGuardVerdicts, type GuardVerdict } from './dry-run-guard.js';
import { describePlan, stagesFor, type PlannedStage } from './plan.js';
import type { RollbackFacts } from './rollback-type.js';
import { DEFAULT_DATA_OPTIONS, type DeploymentFacts } from './stage.js';

export interface DryRunPlan {
  facts: DeploymentFacts;
  gates: GateResult[];
  stages: PlannedStage[];
  /** The destructive-migration guard's verdict per database with builtin migrations (deploys only). */
  migrations: GuardVerdict[];
}

export const DRY_RUN_ID = '(dry-run)';

/** A rollback to describe: its target and what it replaces (from Pipeline.rollbackTarget). */
export interface RollbackDryRun {
  kind: 'rollback';
  version: string;
  previousVersion: string;
  rollbackOf: string;
  actor: string;
  reason?: string | null;
  /** The type and data actions (Pipeline.planRollback). */
  rollback?: RollbackFacts;
}

/** Evaluates the gates and describes every stage, step and command. Changes nothing. */
export async function dryRun(loaded: LoadedConfig, store: Store | null, req: DeployRequest | RollbackDryRun, deps?: GateCheckDeps): Promise<DryRunPlan> {
  const kind = 'kind' in req ? req.kind : 'deploy';
  const live = kind === 'deploy' && store ? await store.lastSucceeded(loaded.config.app, loaded.environment) : undefined;
  const liveFacts = live ? { version: live.version, sha: live.gitSha } : null;
  const gates = await checkGates(loaded, { version: req.version, kind, actor: req.actor, gitSha: 'gitSha' in req ? req.gitSha : null, emergency: 'emergency' in req ? req.emergency : null, live: liveFacts }, deps);
  const facts: DeploymentFacts = {
    id: DRY_RUN_ID,
    app: loaded.config.app,
    environment: loaded.environment,
    kind,
    version: req.version,
    previousVersion: 'previousVersion' in req ? req.previousVersion : (live?.version ?? null),
    actor: req.actor,
    reason: req.reason ?? null,
    gitSha: 'gitSha' in req ? (req.gitSha ?? null) : null,
    gitRef: 'gitRef' in req ? (req.gitRef ?? null) : null,
    emergency: 'emergency' in req ? (req.emergency ?? null) : null,
    rollbackOf: 'rollbackOf' in req ? req.rollbackOf : null,
    data: { ...DEFAULT_DATA_OPTIONS, ...('data' in req ? req.data : {}) },
    rollback: 'rollback' in req ? (req.rollback ?? null) : null,
  };
  const ctx = { facts, config: loaded.config, loaded, paths: statePaths(loaded), provider: createProvider(loaded.config.provider, loaded.config.rollout), masker: loaded.masker };
  const migrations = kind === 'deploy' ? await readGuardVerdicts(loaded, facts.data) : [];
  return { facts, gates, stages: describePlan(stagesFor(kind, loaded.config, facts.rollback?.type), ctx), migrations };
}
