import type { RolloutConfig } from '../../config/schema/rollout.js';
import { toMs } from '../../config/duration.js';
import type { StablePlanContext, StrategyPlan } from '../plan.js';

/**
 * Green starts beside blue and is watched through the version-header route while
 * blue keeps all traffic; then one atomic switch. Blue stays warm so a rollback
 * within the rollback window is an instant switch back.
 */
export function planBlueGreen(cfg: RolloutConfig, ctx: StablePlanContext): StrategyPlan {
  return {
    steps: [
      {
        name: 'preview',
        actions: [{ type: 'ensure', version: ctx.candidate, count: ctx.instances }],
        trafficPercentage: 0,
        pauseMs: toMs(cfg.pause),
        analyse: true,
        viaHeader: true,
      },
      {
        name: 'switch',
        actions: [
          { type: 'weights', weights: { [ctx.candidate]: 100 } },
          { type: 'keepWarm', version: ctx.stable },
        ],
        trafficPercentage: 100,
        pauseMs: 0,
        analyse: true,
        viaHeader: false,
      },
    ],
    finish: [],
    notes: [],
  };
}
