import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRollout } from '../../../src/rollout/plan.js';
import { rolloutConfig } from './helpers.js';

type Counts = { v1: number; v2: number };

describe('planRollout: rolling (property)', () => {
  it('never drops below instances - maxUnavailable ready, never runs more than instances + maxSurge, and ends all-candidate at 100%', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), (n, maxSurge, maxUnavailable) => {
        const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge, maxUnavailable }), { stable: 'v1', candidate: 'v2', instances: n });
        const surge = maxSurge + maxUnavailable === 0 || (maxSurge === 0 && n === 1) ? 1 : maxSurge;
        let counts: Counts = { v1: n, v2: 0 };
        let weights: Record<string, number> = { v1: 100 };
        plan.steps.forEach((step, i) => {
          expect(step.name).toBe(`batch-${i + 1}`);
          for (const a of step.actions) {
            if (a.type === 'weights') {
              // Only versions with ready instances receive traffic.
              for (const [v, w] of Object.entries(a.weights)) if (w > 0) expect(counts[v as keyof Counts]).toBeGreaterThan(0);
              weights = a.weights;
              continue;
            }
            expect(a.type === 'ensure' || a.type === 'stop').toBe(true);
            if (a.type !== 'ensure' && a.type !== 'stop') continue;
            const next = { ...counts, [a.version]: a.type === 'stop' ? 0 : a.count };
            // A version is never stopped while it still has traffic (the agent refuses that).
            if (a.type === 'stop') expect(weights[a.version] ?? 0).toBe(0);
            // While the action runs: stopping instances are no longer ready, starting ones are not ready yet but already run.
            const ready = Math.min(counts.v1, next.v1) + Math.min(counts.v2, next.v2);
            const running = Math.max(counts.v1, next.v1) + Math.max(counts.v2, next.v2);
            expect(ready).toBeGreaterThanOrEqual(Math.max(1, n - maxUnavailable));
            expect(running).toBeLessThanOrEqual(n + surge);
            counts = next;
          }
          // After each batch: n instances again, and weights follow the counts (within rounding).
          expect(counts.v1 + counts.v2).toBe(n);
          const share = weights.v2 ?? 0;
          expect(Math.abs(share - (100 * counts.v2) / n)).toBeLessThanOrEqual(counts.v1 > 0 && counts.v2 > 0 ? 1 : 0);
          expect(share + (weights.v1 ?? 0)).toBe(100);
          expect(step.trafficPercentage).toBe(share);
          expect(counts.v2).toBeGreaterThan(0);
        });
        expect(counts).toEqual({ v1: 0, v2: n });
        expect(weights).toEqual({ v2: 100 });
        expect(plan.steps.at(-1)!.trafficPercentage).toBe(100);
        expect(plan.notes).toEqual(maxSurge + maxUnavailable === 0 || (maxSurge === 0 && n === 1) ? [expect.stringContaining('maxSurge 1 is used')] : []);
      }),
      { numRuns: 500 },
    );
  });
});
