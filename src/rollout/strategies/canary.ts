import type { RolloutConfig, RolloutStep } from '../../config/schema/rollout.js';
import { toMs } from '../../config/duration.js';
import type { PlanStep } from '../contract.js';
import type { StablePlanContext, StrategyPlan } from '../plan.js';
import { splitWeights } from '../weights.js';

/**
 * The candidate starts at full count in the first step, then takes each step's
 * share of traffic; stable keeps running until the `full` step has been watched,
 * so a revert at any step is only a weights change.
 */
export function planCanary(cfg: RolloutConfig, ctx: StablePlanContext): StrategyPlan {
  const configured = cfg.steps.map((s, i) => canaryStep(s, i, ctx));
  const notes: string[] = [];
  if ((cfg.steps.at(-1)?.weight ?? 0) < 100) {
    configured.push(canaryStep({ weight: 100, pause: '0s' as RolloutStep['pause'] }, configured.length, ctx));
    notes.push('the last canary step is below 100%, so a `full` step with no pause was added');
  }
  return { steps: configured, finish: [{ type: 'stop', version: ctx.stable }], notes };
}

function canaryStep(s: RolloutStep, index: number, ctx: StablePlanContext): PlanStep {
  const weights = { type: 'weights', weights: splitWeights(ctx.stable, ctx.candidate, s.weight) } as const;
  return {
    name: canaryStepName(s.weight, index),
    actions: index === 0 ? [{ type: 'ensure', version: ctx.candidate, count: ctx.instances }, weights] : [weights],
    trafficPercentage: s.weight,
    pauseMs: s.pause === 'manual' ? 'manual' : toMs(s.pause),
    analyse: true,
    viaHeader: false,
  };
}

/** `full` at 100%, `canary` for the first step, `progressive` for the ones between. */
export function canaryStepName(weight: number, index: number): string {
  if (weight >= 100) return 'full';
  return index === 0 ? 'canary' : 'progressive';
}
