import type { RolloutConfig } from '../config/schema/rollout.js';
import type { PlanStep, RolloutAction, RolloutPlan } from './contract.js';
import { planBlueGreen } from './strategies/bluegreen.js';
import { planCanary } from './strategies/canary.js';
import { planImmediate, switchAllStep } from './strategies/immediate.js';
import { planRolling } from './strategies/rolling.js';

/** What a plan is made for. */
export interface PlanContext {
  /** The version serving now; null for a first deployment. */
  stable: string | null;
  candidate: string;
  /** Instances each version runs at full count. */
  instances: number;
}

/** A context with a version to roll away from. */
export type StablePlanContext = PlanContext & { stable: string };

/** What a strategy decides: the steps, and what runs after the last one. */
export interface StrategyPlan {
  steps: PlanStep[];
  finish: RolloutAction[];
  notes: string[];
}

export const FIRST_DEPLOYMENT_NOTE = 'first deployment: no stable version, so the new version takes all traffic at once';

/** Why a deployment of the version that has the traffic is not a canary of itself. */
export function redeployNote(version: string): string {
  return `${version} already has the traffic: its instances are brought back to full count with the spec sent again, and traffic stays on it`;
}

/** The pure plan of a rollout: which steps, which weights, what a revert does. */
export function planRollout(cfg: RolloutConfig, ctx: PlanContext): RolloutPlan {
  if (!Number.isInteger(ctx.instances) || ctx.instances < 1) throw new RangeError(`instances must be a whole number of at least 1 (got ${ctx.instances})`);
  const base = { strategy: cfg.strategy, stable: ctx.stable, candidate: ctx.candidate };
  if (ctx.stable === null) return { ...base, ...firstDeployment(ctx), revert: revertActions(ctx) };
  if (ctx.stable === ctx.candidate) return { ...base, ...redeployLive(ctx), revert: revertActions(ctx) };
  const planned = planStrategy(cfg, { ...ctx, stable: ctx.stable });
  return { ...base, ...planned, revert: revertActions(ctx) };
}

function planStrategy(cfg: RolloutConfig, ctx: StablePlanContext): StrategyPlan {
  switch (cfg.strategy) {
    case 'immediate':
      return planImmediate(ctx);
    case 'rolling':
      return planRolling(cfg, ctx);
    case 'canary':
      return planCanary(cfg, ctx);
    case 'bluegreen':
      return planBlueGreen(cfg, ctx);
  }
}

/** With nothing to protect, every strategy starts the candidate and gives it all traffic. */
function firstDeployment(ctx: PlanContext): StrategyPlan {
  return { steps: [switchAllStep(ctx, false)], finish: [], notes: [FIRST_DEPLOYMENT_NOTE] };
}

/**
 * Deploying the version that already has the traffic (after an agent crash, to
 * restore instances that died, or to send their spec again): there is nothing
 * to compare it with and nothing to stop. A canary of a version against itself
 * would split traffic between one version, and stopping "stable" would stop it.
 */
function redeployLive(ctx: PlanContext): StrategyPlan {
  return { steps: [switchAllStep(ctx, false)], finish: [], notes: [redeployNote(ctx.candidate)] };
}

/**
 * Weights first, so users leave the candidate at once; then make sure stable
 * runs at full count (a later step, `finish` or an expired keep-warm may have
 * stopped it); then stop the candidate. Every action is idempotent.
 */
export function revertActions(ctx: PlanContext): RolloutAction[] {
  const stopCandidate: RolloutAction = { type: 'stop', version: ctx.candidate };
  if (ctx.stable === null) return [stopCandidate];
  const restoreStable: RolloutAction[] = [
    { type: 'weights', weights: { [ctx.stable]: 100 } },
    { type: 'ensure', version: ctx.stable, count: ctx.instances },
  ];
  // The candidate is stable too: stopping it would take the site down.
  return ctx.stable === ctx.candidate ? restoreStable : [...restoreStable, stopCandidate];
}
