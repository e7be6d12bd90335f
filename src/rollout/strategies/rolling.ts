import type { RolloutConfig } from '../../config/schema/rollout.js';
import { toMs } from '../../config/duration.js';
import type { PlanStep, RolloutAction } from '../contract.js';
import type { StablePlanContext, StrategyPlan } from '../plan.js';
import { shareOf, splitWeights } from '../weights.js';

export const BOTH_ZERO_NOTE = 'maxSurge and maxUnavailable are both 0, so maxSurge 1 is used (one extra instance at a time)';
export const SINGLE_INSTANCE_NOTE = 'with a single instance and maxSurge 0, maxSurge 1 is used so that something serves while it is replaced';

/** The limits a rolling plan honours, after making sure it can make progress without a moment of no instance at all. */
export function rollingLimits(cfg: Pick<RolloutConfig, 'maxSurge' | 'maxUnavailable'>, instances = 2): { surge: number; unavailable: number; notes: string[] } {
  if (cfg.maxSurge + cfg.maxUnavailable === 0) return { surge: 1, unavailable: 0, notes: [BOTH_ZERO_NOTE] };
  if (cfg.maxSurge === 0 && instances === 1) return { surge: 1, unavailable: cfg.maxUnavailable, notes: [SINGLE_INSTANCE_NOTE] };
  return { surge: cfg.maxSurge, unavailable: cfg.maxUnavailable, notes: [] };
}

/**
 * Batches that replace stable instances with candidate ones. Each batch: stop up
 * to `maxUnavailable` stable instances (never the last one before a candidate is
 * ready, and traffic leaves stable before its last instance stops), start as many
 * candidate ones as the surge allows, move the weights to the new counts, then
 * stop the stable instances the new ones replace. Ready instances never drop below
 * `instances - maxUnavailable` (nor below 1); running ones never exceed
 * `instances + maxSurge`.
 */
export function planRolling(cfg: RolloutConfig, ctx: StablePlanContext): StrategyPlan {
  const { surge, unavailable, notes } = rollingLimits(cfg, ctx.instances);
  const n = ctx.instances;
  const steps: PlanStep[] = [];
  let stable = n;
  let candidate = 0;
  while (candidate < n) {
    const actions: RolloutAction[] = [];
    const down = Math.min(unavailable, candidate === 0 ? stable - 1 : stable);
    if (down > 0) {
      stable -= down;
      if (stable === 0) actions.push({ type: 'weights', weights: splitWeights(ctx.stable, ctx.candidate, 100) });
      actions.push(scale(ctx.stable, stable));
    }
    candidate += Math.min(n - candidate, down + surge);
    actions.push({ type: 'ensure', version: ctx.candidate, count: candidate });
    const share = shareOf(candidate, n - candidate);
    if (!(stable === 0 && share === 100)) actions.push({ type: 'weights', weights: splitWeights(ctx.stable, ctx.candidate, share) });
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
