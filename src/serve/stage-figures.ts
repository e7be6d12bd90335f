/**
 * What the journal says beyond the deployments table: how long each stage took (per
 * environment) and the weights a rollout set last. Fed one event at a time; pure.
 */
import type { StoredEvent } from '../store/contract.js';

export interface StageObservation {
  environment: string;
  stage: string;
  result: 'succeeded' | 'failed';
  seconds: number;
}

interface Sum {
  total: number;
  count: number;
}

export class StageFigures {
  private readonly sums = new Map<string, Sum>();
  /** environment -> version -> weight, from the newest `rollout:weights` event. */
  readonly weights = new Map<string, Record<string, number>>();

  /** The stage duration the event reports, if it is a stage's end; also keeps the sums and weights. */
  observe(event: StoredEvent): StageObservation | undefined {
    const { environment } = event.context;
    if (event.type === 'rollout:weights') this.weights.set(environment, { ...(event.data.weights as Record<string, number>) });
    if (event.type !== 'stage:finished' && event.type !== 'stage:failed') return undefined;
    const ms = event.data.durationMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || event.stage === null) return undefined;
    const key = `${environment}\u0000${event.stage}`;
    const sum = this.sums.get(key) ?? { total: 0, count: 0 };
    this.sums.set(key, { total: sum.total + ms, count: sum.count + 1 });
    return { environment, stage: event.stage, result: event.type === 'stage:finished' ? 'succeeded' : 'failed', seconds: ms / 1000 };
  }

  /** Mean duration of a stage in ms, over one environment or all; null when it never ran. */
  averageMs(stage: string, environment?: string): number | null {
    let total = 0;
    let count = 0;
    for (const [key, sum] of this.sums) {
      const [env, name] = key.split('\u0000');
      if (name !== stage || (environment !== undefined && env !== environment)) continue;
      total += sum.total;
      count += sum.count;
    }
    return count === 0 ? null : Math.round(total / count);
  }
}
