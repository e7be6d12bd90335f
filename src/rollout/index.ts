export * from './contract.js';
export { planRollout, revertActions, redeployNote, FIRST_DEPLOYMENT_NOTE, type PlanContext, type StablePlanContext, type StrategyPlan } from './plan.js';
export { canaryStepName } from './strategies/canary.js';
export { rollingLimits, BOTH_ZERO_NOTE, SINGLE_INSTANCE_NOTE } from './strategies/rolling.js';
export { evaluate, maxP95Ms, percent, DEFAULT_MAX_P95_MS, type EvaluationInput } from './analysis.js';
export {
  runRollout,
  DEFAULT_KEEP_WARM_MS,
  DEADMAN_REASON,
  ABORT_COMMAND_REASON,
  type RolloutDeps,
  type RolloutOutcome,
  type RolloutStepOutcome,
  type RolloutStepStatus,
} from './controller.js';
export type * from './events.js';
export { splitWeights, shareOf, stableOf, weightsSetBy } from './weights.js';
export { countForWeight, weightReached, planCounts, planBatches, type CountStep } from './count-split.js';
