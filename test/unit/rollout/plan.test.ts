import { describe, expect, it } from 'vitest';
import { planRollout, redeployNote, FIRST_DEPLOYMENT_NOTE } from '../../../src/rollout/plan.js';
import { BOTH_ZERO_NOTE, SINGLE_INSTANCE_NOTE } from '../../../src/rollout/strategies/rolling.js';
import { MIN, rolloutConfig, SEC } from './helpers.js';

const ctx = { stable: 'v1', candidate: 'v2', instances: 3 };
const REVERT = [
  { type: 'weights', weights: { v1: 100 } },
  { type: 'ensure', version: 'v1', count: 3 },
  { type: 'stop', version: 'v2' },
];

describe('planRollout: immediate', () => {
  it('starts the candidate at full count, switches all traffic at once, then stops stable', () => {
    expect(planRollout(rolloutConfig({ strategy: 'immediate' }), ctx)).toEqual({
      strategy: 'immediate',
      stable: 'v1',
      candidate: 'v2',
      steps: [
        {
          name: 'full',
          actions: [
            { type: 'ensure', version: 'v2', count: 3 },
            { type: 'weights', weights: { v2: 100 } },
          ],
          trafficPercentage: 100,
          pauseMs: 0,
          analyse: true,
          viaHeader: false,
        },
      ],
      finish: [{ type: 'stop', version: 'v1' }],
      notes: [],
      revert: REVERT,
    });
  });
});

describe('planRollout: canary', () => {
  it('follows the default 5% -> 50% -> 100% steps: canary, progressive, full; stable stops after full', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'canary' }), ctx);
    expect(plan.steps).toEqual([
      {
        name: 'canary',
        actions: [
          { type: 'ensure', version: 'v2', count: 3 },
          { type: 'weights', weights: { v1: 95, v2: 5 } },
        ],
        trafficPercentage: 5,
        pauseMs: 5 * MIN,
        analyse: true,
        viaHeader: false,
      },
      { name: 'progressive', actions: [{ type: 'weights', weights: { v1: 50, v2: 50 } }], trafficPercentage: 50, pauseMs: 10 * MIN, analyse: true, viaHeader: false },
      { name: 'full', actions: [{ type: 'weights', weights: { v2: 100 } }], trafficPercentage: 100, pauseMs: 15 * MIN, analyse: true, viaHeader: false },
    ]);
    expect(plan.finish).toEqual([{ type: 'stop', version: 'v1' }]);
    expect(plan.revert).toEqual(REVERT);
    expect(plan.notes).toEqual([]);
  });

  it('names every step between the first and 100% `progressive`, keeps `manual`, and appends a `full` step with no pause', () => {
    const plan = planRollout(
      rolloutConfig({
        strategy: 'canary',
        steps: [
          { weight: 10, pause: 'manual' },
          { weight: 25, pause: '1m' },
          { weight: 60, pause: '90s' },
        ],
      }),
      ctx,
    );
    expect(plan.steps.map((s) => [s.name, s.trafficPercentage, s.pauseMs, s.actions.at(-1)])).toEqual([
      ['canary', 10, 'manual', { type: 'weights', weights: { v1: 90, v2: 10 } }],
      ['progressive', 25, MIN, { type: 'weights', weights: { v1: 75, v2: 25 } }],
      ['progressive', 60, 90 * SEC, { type: 'weights', weights: { v1: 40, v2: 60 } }],
      ['full', 100, 0, { type: 'weights', weights: { v2: 100 } }],
    ]);
    expect(plan.steps[0]!.actions[0]).toEqual({ type: 'ensure', version: 'v2', count: 3 });
    expect(plan.steps.slice(1).every((s) => s.actions.length === 1)).toBe(true);
    expect(plan.notes).toEqual(['the last canary step is below 100%, so a `full` step with no pause was added']);
  });

  it('a single 100% step is `full` and still starts the candidate', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'canary', steps: [{ weight: 100, pause: '2m' }] }), ctx);
    expect(plan.steps).toEqual([
      {
        name: 'full',
        actions: [
          { type: 'ensure', version: 'v2', count: 3 },
          { type: 'weights', weights: { v2: 100 } },
        ],
        trafficPercentage: 100,
        pauseMs: 2 * MIN,
        analyse: true,
        viaHeader: false,
      },
    ]);
  });

  it('a 0% step keeps all traffic on stable (a dark start)', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'canary', steps: [{ weight: 0, pause: '1m' }, { weight: 100 }] }), ctx);
    expect(plan.steps[0]!.actions[1]).toEqual({ type: 'weights', weights: { v1: 100 } });
  });
});

describe('planRollout: bluegreen', () => {
  it('previews green through the header route with weights unchanged, then switches atomically and keeps blue warm', () => {
    expect(planRollout(rolloutConfig({ strategy: 'bluegreen', pause: '2m' }), ctx)).toEqual({
      strategy: 'bluegreen',
      stable: 'v1',
      candidate: 'v2',
      steps: [
        { name: 'preview', actions: [{ type: 'ensure', version: 'v2', count: 3 }], trafficPercentage: 0, pauseMs: 2 * MIN, analyse: true, viaHeader: true },
        {
          name: 'switch',
          actions: [
            { type: 'weights', weights: { v2: 100 } },
            { type: 'keepWarm', version: 'v1' },
          ],
          trafficPercentage: 100,
          pauseMs: 0,
          analyse: true,
          viaHeader: false,
        },
      ],
      finish: [],
      notes: [],
      revert: REVERT,
    });
  });
});

describe('planRollout: rolling', () => {
  it('maxSurge 1, maxUnavailable 0: one extra instance at a time, weights following the counts', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge: 1, maxUnavailable: 0, pause: '30s' }), ctx);
    expect(plan.steps).toEqual([
      {
        name: 'batch-1',
        actions: [
          { type: 'ensure', version: 'v2', count: 1 },
          { type: 'weights', weights: { v1: 67, v2: 33 } },
          { type: 'ensure', version: 'v1', count: 2 },
        ],
        trafficPercentage: 33,
        pauseMs: 30 * SEC,
        analyse: true,
        viaHeader: false,
      },
      {
        name: 'batch-2',
        actions: [
          { type: 'ensure', version: 'v2', count: 2 },
          { type: 'weights', weights: { v1: 33, v2: 67 } },
          { type: 'ensure', version: 'v1', count: 1 },
        ],
        trafficPercentage: 67,
        pauseMs: 30 * SEC,
        analyse: true,
        viaHeader: false,
      },
      {
        name: 'batch-3',
        actions: [
          { type: 'ensure', version: 'v2', count: 3 },
          { type: 'weights', weights: { v2: 100 } },
          { type: 'stop', version: 'v1' },
        ],
        trafficPercentage: 100,
        pauseMs: 30 * SEC,
        analyse: true,
        viaHeader: false,
      },
    ]);
    expect(plan.finish).toEqual([]);
    expect(plan.revert).toEqual(REVERT);
  });

  it('maxSurge 1, maxUnavailable 1 on 4 instances: stop one, start two, then stop the ones replaced', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge: 1, maxUnavailable: 1 }), { ...ctx, instances: 4 });
    expect(plan.steps.map((s) => [s.name, s.actions])).toEqual([
      [
        'batch-1',
        [
          { type: 'ensure', version: 'v1', count: 3 },
          { type: 'ensure', version: 'v2', count: 2 },
          { type: 'weights', weights: { v1: 50, v2: 50 } },
          { type: 'ensure', version: 'v1', count: 2 },
        ],
      ],
      [
        'batch-2',
        [
          { type: 'ensure', version: 'v1', count: 1 },
          { type: 'ensure', version: 'v2', count: 4 },
          { type: 'weights', weights: { v2: 100 } },
          { type: 'stop', version: 'v1' },
        ],
      ],
    ]);
  });

  it('maxSurge 0, maxUnavailable 1: stop one stable instance, then start its replacement; traffic leaves stable before its last instance stops', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge: 0, maxUnavailable: 1 }), { ...ctx, instances: 2 });
    expect(plan.steps.map((s) => s.actions)).toEqual([
      [
        { type: 'ensure', version: 'v1', count: 1 },
        { type: 'ensure', version: 'v2', count: 1 },
        { type: 'weights', weights: { v1: 50, v2: 50 } },
      ],
      [
        { type: 'weights', weights: { v2: 100 } },
        { type: 'stop', version: 'v1' },
        { type: 'ensure', version: 'v2', count: 2 },
      ],
    ]);
  });

  it('one instance with maxSurge 0: one extra instance instead of a moment with nothing serving, and a note', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge: 0, maxUnavailable: 1 }), { ...ctx, instances: 1 });
    expect(plan.notes).toEqual([SINGLE_INSTANCE_NOTE]);
    expect(plan.steps.map((s) => s.actions)).toEqual([
      [
        { type: 'ensure', version: 'v2', count: 1 },
        { type: 'weights', weights: { v2: 100 } },
        { type: 'stop', version: 'v1' },
      ],
    ]);
  });

  it('both limits 0: uses maxSurge 1 and says so in a note', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge: 0, maxUnavailable: 0 }), { ...ctx, instances: 2 });
    expect(plan.notes).toEqual([BOTH_ZERO_NOTE]);
    expect(BOTH_ZERO_NOTE).toBe('maxSurge and maxUnavailable are both 0, so maxSurge 1 is used (one extra instance at a time)');
    expect(plan.steps.map((s) => s.actions)).toEqual([
      [
        { type: 'ensure', version: 'v2', count: 1 },
        { type: 'weights', weights: { v1: 50, v2: 50 } },
        { type: 'ensure', version: 'v1', count: 1 },
      ],
      [
        { type: 'ensure', version: 'v2', count: 2 },
        { type: 'weights', weights: { v2: 100 } },
        { type: 'stop', version: 'v1' },
      ],
    ]);
  });

  it('a surge as large as the count replaces everything in one batch', () => {
    const plan = planRollout(rolloutConfig({ strategy: 'rolling', maxSurge: 5 }), ctx);
    expect(plan.steps.map((s) => s.actions)).toEqual([
      [
        { type: 'ensure', version: 'v2', count: 3 },
        { type: 'weights', weights: { v2: 100 } },
        { type: 'stop', version: 'v1' },
      ],
    ]);
  });
});

describe('planRollout: first deployment', () => {
  it.each(['immediate', 'rolling', 'canary', 'bluegreen'] as const)('%s degenerates to: start the candidate, give it all traffic; revert stops it', (strategy) => {
    expect(planRollout(rolloutConfig({ strategy }), { stable: null, candidate: 'v1', instances: 2 })).toEqual({
      strategy,
      stable: null,
      candidate: 'v1',
      steps: [
        {
          name: 'full',
          actions: [
            { type: 'ensure', version: 'v1', count: 2 },
            { type: 'weights', weights: { v1: 100 } },
          ],
          trafficPercentage: 100,
          pauseMs: 0,
          analyse: false,
          viaHeader: false,
        },
      ],
      finish: [],
      notes: [FIRST_DEPLOYMENT_NOTE],
      revert: [{ type: 'stop', version: 'v1' }],
    });
  });
});

describe('planRollout: revert', () => {
  it.each(['immediate', 'rolling', 'canary', 'bluegreen'] as const)('%s: weights to stable first, then stable at full count, then the candidate stops', (strategy) => {
    const plan = planRollout(rolloutConfig({ strategy }), { ...ctx, instances: 5 });
    expect(plan.revert).toEqual([
      { type: 'weights', weights: { v1: 100 } },
      { type: 'ensure', version: 'v1', count: 5 },
      { type: 'stop', version: 'v2' },
    ]);
  });

  it('rejects a count below 1', () => {
    expect(() => planRollout(rolloutConfig(), { ...ctx, instances: 0 })).toThrow('instances must be a whole number of at least 1 (got 0)');
  });
});

describe('planRollout: the version that already has the traffic', () => {
  const live = { stable: 'v1', candidate: 'v1', instances: 3 };

  it('brings its instances back to full count and keeps the traffic on it, whatever the strategy: no split, nothing stopped', () => {
    for (const strategy of ['immediate', 'rolling', 'canary', 'bluegreen'] as const) {
      const plan = planRollout(rolloutConfig({ strategy }), live);
      expect(plan.steps).toEqual([
        {
          name: 'full',
          actions: [
            { type: 'ensure', version: 'v1', count: 3 },
            { type: 'weights', weights: { v1: 100 } },
          ],
          trafficPercentage: 100,
          pauseMs: 0,
          analyse: false,
          viaHeader: false,
        },
      ]);
      expect(plan.finish).toEqual([]);
      expect(plan.notes).toEqual([redeployNote('v1')]);
      // A revert must not stop the only version there is.
      expect(plan.revert).toEqual([
        { type: 'weights', weights: { v1: 100 } },
        { type: 'ensure', version: 'v1', count: 3 },
      ]);
    }
  });
});
