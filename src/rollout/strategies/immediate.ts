import type { StablePlanContext, StrategyPlan } from '../plan.js';

/** Start the candidate at full count, switch all traffic at once, then stop stable. */
export function planImmediate(ctx: StablePlanContext): StrategyPlan {
  return {
    steps: [
      {
        name: 'full',
        actions: [
          { type: 'ensure', version: ctx.candidate, count: ctx.instances },
          { type: 'weights', weights: { [ctx.candidate]: 100 } },
        ],
        trafficPercentage: 100,
        pauseMs: 0,
        analyse: true,
        viaHeader: false,
      },
    ],
    finish: [{ type: 'stop', version: ctx.stable }],
    notes: [],
  };
}
