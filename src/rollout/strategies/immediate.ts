import type { PlanStep } from '../contract.js';
import type { PlanContext, StablePlanContext, StrategyPlan } from '../plan.js';

/** The step that starts the candidate at full count and gives it all the traffic at once. */
export function switchAllStep(ctx: Pick<PlanContext, 'candidate' | 'instances'>, analyse: boolean): PlanStep {
  return {
    name: 'full',
    actions: [
      { type: 'ensure', version: ctx.candidate, count: ctx.instances },
      { type: 'weights', weights: { [ctx.candidate]: 100 } },
    ],
    trafficPercentage: 100,
    pauseMs: 0,
    analyse,
    viaHeader: false,
  };
}

/** Start the candidate at full count, switch all traffic at once, then stop stable. */
export function planImmediate(ctx: StablePlanContext): StrategyPlan {
  return { steps: [switchAllStep(ctx, true)], finish: [{ type: 'stop', version: ctx.stable }], notes: [] };
}
