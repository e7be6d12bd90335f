import type { RolloutConfig } from '../../config/schema/index.js';
import { toMs } from '../../config/duration.js';
import { planBatches, planCounts, type CountStep } from '../../rollout/count-split.js';
import { canaryStepName } from '../../rollout/strategies/canary.js';
import type { Strategy } from '../../config/schema/rollout.js';

/** One step of a Fly.io deploy: how many machines run the new version after it, and how long it is watched. */
export interface FlyPlanStep extends CountStep {
  name: string;
  /** Watched this long with analysis (0: only the machines' checks); `manual`: until `shipgate promote`. */
  pauseMs: number | 'manual';
  analyse: boolean;
}

export interface FlyPlan {
  strategy: Strategy;
  /** Machines at full count. */
  total: number;
  steps: FlyPlanStep[];
  notes: string[];
}

/**
 * Pure: a strategy as machine counts. Fly.io has no router of shipgate's: its
 * proxy spreads requests over the started, registered machines, so a weight is
 * a share of machines (see count-split), and the record shows the share reached.
 */
export function planFly(strategy: Strategy, rollout: RolloutConfig, total: number, batch: number, firstDeployment: boolean): FlyPlan {
  const whole = (name: string, pauseMs: number, analyse: boolean): FlyPlanStep => ({ name, requested: 100, count: total, reached: 100, pauseMs, analyse });
  if (firstDeployment) return { strategy, total, steps: [whole('full', 0, false)], notes: ['first deployment: no machines run the app, so every machine starts on the new version at once'] };
  switch (strategy) {
    case 'immediate':
      return { strategy, total, steps: [whole('full', 0, false)], notes: [] };
    case 'rolling':
      return { strategy, total, steps: planBatches(total, batch).map((s, i) => ({ ...s, name: `batch-${i + 1}`, pauseMs: toMs(rollout.pause), analyse: toMs(rollout.pause) > 0 })), notes: [] };
    case 'canary':
      return canary(rollout, total);
    case 'bluegreen':
      return { strategy, total, steps: [{ ...whole('preview', toMs(rollout.pause), true), reached: 0 }, whole('switch', 0, false)], notes: [] };
  }
}

function canary(rollout: RolloutConfig, total: number): FlyPlan {
  const counts = planCounts(rollout.steps.map((s) => s.weight), total);
  const notes: string[] = [];
  if (counts.length < rollout.steps.length + (rollout.steps.at(-1)!.weight < 100 ? 1 : 0)) notes.push(`${total} machine${total === 1 ? '' : 's'} cannot show every canary weight apart: steps reaching no more machines than the one before were merged`);
  const steps = counts.map((c, i) => {
    const configured = rollout.steps.find((s) => s.weight === c.requested);
    const pause = configured?.pause ?? ('0s' as const);
    return { ...c, name: canaryStepName(c.reached, i), pauseMs: pause === 'manual' ? ('manual' as const) : toMs(pause), analyse: true };
  });
  return { strategy: 'canary', total, steps, notes };
}
