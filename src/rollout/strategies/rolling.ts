import type { RolloutConfig } from '../../config/schema/rollout.js';
import { toMs } from '../../config/duration.js';
import type { PlanStep, RolloutAction } from '../contract.js';
import type { StablePlanContext, StrategyPlan } from '../plan.js';
import { shareOf, splitWeights } from '../weights.js';

export const BOTH_ZERO_NOTE = 'maxSurge and maxUnavailable are both 0, so maxSurge 1 is used (one extra instance at a time)';

/** The limits a rolling plan honours, after making sure it can make progress. */
export function rollingLimits(cfg: Pick<RolloutConfig, 'maxSurge' | 'maxUnavailable'>): { surge: number; unavailable: number; notes: string[] } {
  if (cfg.maxSurge + cfg.maxUnavailable >= 1) return { surge: cfg.maxSurge, unavailable: cfg.maxUnavailable, notes: [] };
  return { surge: 1, unavailable: 0, notes: [BOTH_ZERO_NOTE] };
}

/**
 * Batches that replace stable instances with candidate ones. Each batch: stop up
 * to `maxUnavailable` stable instances, start as many candidate ones as the surge
 * allows, move the weights to the new counts, then stop the stable instances the
 * new ones replace. Ready instances never drop below `instances - maxUnavailable`;
 * running ones never exceed `instances + maxSurge`.
 */
export function planRolling(cfg: RolloutConfig, ctx: StablePlanContext): StrategyPlan {
  const { surge, unavailable, notes } = rollingLimits(cfg);
  const n = ctx.instances;
  const steps: PlanStep[] = [];
  let stable = n;
  let candidate = 0;
  while (candidate < n) {
    const actions: RolloutAction[] = [];
    const down = Math.min(unavailable, stable);
    if (down > 0) actions.push(scale(ctx.stable, (stable -= down)));
    candidate += Math.min(n - candidate, down + surge);
    actions.push({ type: 'ensure', version: ctx.candidate, count: candidate });
    const share = shareOf(candidate, n - candidate);
    actions.push({ type: 'weights', weights: splitWeights(ctx.stable, ctx.candidate, share) });
    if (n - candidate < stable) actions.push(scale(ctx.stable, (stable = n - candidate)));
    steps.push(batch(steps.length + 1, actions, share, toMs(cfg.pause)));
  }
  return { steps, finish: [], notes };
}

function scale(version: string, count: number): RolloutAction {
  return count === 0 ? { type: 'stop', version } : { type: 'ensure', version, count };
}

function batch(index: number, actions: RolloutAction[], share: number, pauseMs: number): PlanStep {
  return { name: `batch-${index}`, actions, trafficPercentage: share, pauseMs, analyse: true, viaHeader: false };
}
