import { describe, expect, it } from 'vitest';
import { countForWeight, planBatches, planCounts, weightReached } from '../../../src/rollout/count-split.js';

describe('countForWeight: a weight as instances, Argo-style', () => {
  it('rounds up so any weight above 0 has an instance, and caps at the total', () => {
    expect(countForWeight(0, 3)).toBe(0);
    expect(countForWeight(5, 3)).toBe(1);
    expect(countForWeight(34, 3)).toBe(2);
    expect(countForWeight(50, 4)).toBe(2);
    expect(countForWeight(100, 3)).toBe(3);
    expect(countForWeight(150, 3)).toBe(3);
  });

  it('refuses a total below one', () => {
    expect(() => countForWeight(50, 0)).toThrow('total must be a whole number of at least 1 (got 0)');
  });
});

describe('planCounts', () => {
  it('maps 5/50/100 on 4 machines to 1, 2, 4 and records the weights reached (25, 50, 100)', () => {
    expect(planCounts([5, 50, 100], 4)).toEqual([
      { requested: 5, count: 1, reached: 25 },
      { requested: 50, count: 2, reached: 50 },
      { requested: 100, count: 4, reached: 100 },
    ]);
  });

  it('drops steps that reach no more machines than the step before, and always ends at all of them', () => {
    expect(planCounts([5, 10, 20], 3)).toEqual([
      { requested: 5, count: 1, reached: 33 },
      { requested: 100, count: 3, reached: 100 },
    ]);
    expect(planCounts([5, 50], 1)).toEqual([{ requested: 5, count: 1, reached: 100 }]);
  });

  it('skips a 0% step (nothing to watch)', () => {
    expect(planCounts([0, 100], 2)).toEqual([{ requested: 100, count: 2, reached: 100 }]);
  });
});

describe('planBatches', () => {
  it('replaces `batch` machines at a time, the last batch taking what is left', () => {
    expect(planBatches(5, 2).map((s) => [s.count, s.reached])).toEqual([
      [2, 40],
      [4, 80],
      [5, 100],
    ]);
    expect(planBatches(3, 5).map((s) => s.count)).toEqual([3]);
    expect(planBatches(2, 0).map((s) => s.count)).toEqual([1, 2]);
  });

  it('weightReached rounds the share', () => {
    expect(weightReached(1, 3)).toBe(33);
    expect(weightReached(2, 3)).toBe(67);
    expect(weightReached(0, 0)).toBe(0);
  });
});
