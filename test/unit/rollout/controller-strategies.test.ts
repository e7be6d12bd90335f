import { describe, expect, it } from 'vitest';
import { Cancelled } from '../../../src/errors.js';
import { DEFAULT_KEEP_WARM_MS } from '../../../src/rollout/controller.js';
import { MIN, SEC, T0, harness, runFor, timeline, times } from './helpers.js';

describe('runRollout: bluegreen', () => {
  it('previews green through the header route with blue keeping all traffic, then switches and keeps blue warm', async () => {
    const h = harness({ config: { strategy: 'bluegreen', pause: '2m' }, instances: 2 });
    const run = h.start();
    await h.clock.advance(MIN);
    expect(h.traffic.snapshot()).toMatchObject({ weights: { v1: 100 }, counts: { v1: 2, v2: 2 } });
    await h.clock.advance(2 * MIN);
    const outcome = await run;
    expect(outcome).toMatchObject({
      status: 'succeeded',
      steps: [
        { name: 'preview', trafficPercentage: 0, durationMs: 2 * MIN, status: 'healthy' },
        { name: 'switch', trafficPercentage: 100, durationMs: 0, status: 'healthy' },
      ],
    });
    expect(h.traffic.callsOf('probe').map((c) => [c.at - T0, c.args])).toEqual(Array.from({ length: 12 }, (_, i) => [(i + 1) * 10 * SEC, ['v2', { viaHeader: true }]]));
    expect(timeline(h.traffic.calls)).toEqual([
      { t: 0, method: 'beginRollout', args: [{ id: 'ro_1', stable: 'v1', candidate: 'v2', deadmanMs: 30 * SEC }] },
      { t: 0, method: 'currentWeights', args: [] },
      { t: 0, method: 'ensureInstances', args: ['v2', 2] },
      { t: 2 * MIN, method: 'setWeights', args: [{ v2: 100 }] },
      { t: 2 * MIN, method: 'keepWarm', args: ['v1', T0 + 2 * MIN + DEFAULT_KEEP_WARM_MS] },
      { t: 2 * MIN, method: 'endRollout', args: ['ro_1'] },
    ]);
    expect(DEFAULT_KEEP_WARM_MS).toBe(60 * MIN);
    expect(h.events[0]).toEqual({ type: 'rollout:step', step: 'preview', status: 'started', trafficPercentage: 0, weights: { v1: 100 }, durationMs: 0 });
  });

  it('a failing preview never moved users: the revert weights are set anyway, idempotently', async () => {
    const h = harness({ config: { strategy: 'bluegreen', pause: '2m' }, keepWarmMs: 10 * MIN });
    h.traffic.setProbes('v2', { ok: false, status: 500 });
    const outcome = await runFor(h, 5 * MIN);
    expect(outcome).toMatchObject({ status: 'failed', revertedAt: T0 + 20 * SEC });
    expect(outcome.reason).toContain('probe of instance v2-1 (v2) failed: HTTP 500');
    expect(h.traffic.callsOf('setWeights').map((c) => c.args[0])).toEqual([{ v1: 100 }]);
  });

  it('honours keepWarmMs', async () => {
    const h = harness({ config: { strategy: 'bluegreen' }, keepWarmMs: 10 * MIN });
    await runFor(h, MIN);
    expect(h.traffic.callsOf('keepWarm').map((c) => c.args)).toEqual([['v1', T0 + 10 * MIN]]);
  });
});

describe('runRollout: immediate', () => {
  it('starts, switches and stops stable at once, with nothing to watch', async () => {
    const h = harness({ config: { strategy: 'immediate' } });
    const outcome = await runFor(h, 0);
    expect(outcome).toEqual({ status: 'succeeded', reason: null, steps: [{ name: 'full', trafficPercentage: 100, durationMs: 0, status: 'healthy' }], evaluations: [], revertedAt: null });
    expect(timeline(h.traffic.calls, [])).toEqual([
      { t: 0, method: 'beginRollout', args: [{ id: 'ro_1', stable: 'v1', candidate: 'v2', deadmanMs: 30 * SEC }] },
      { t: 0, method: 'currentWeights', args: [] },
      { t: 0, method: 'ensureInstances', args: ['v2', 3] },
      { t: 0, method: 'setWeights', args: [{ v2: 100 }] },
      { t: 0, method: 'endRollout', args: ['ro_1'] },
      { t: 0, method: 'stopVersion', args: ['v1'] },
    ]);
    expect(h.traffic.snapshot().counts).toEqual({ v2: 3 });
  });

  it('instances that fail to start fail the rollout and put the weights back', async () => {
    const h = harness({ config: { strategy: 'immediate' } });
    h.traffic.failEnsure('v2', 'v2-1 exited with code 1 before it was ready');
    const outcome = await runFor(h, 0);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'instances of v2 failed in step full: v2-1 exited with code 1 before it was ready', revertedAt: T0, steps: [{ status: 'failed' }] });
    expect(timeline(h.traffic.calls, []).map((c) => c.method)).toEqual(['beginRollout', 'currentWeights', 'ensureInstances', 'setWeights', 'endRollout']);
    expect(h.traffic.snapshot().weights).toEqual({ v1: 100 });
  });
});

describe('runRollout: rolling', () => {
  it('runs the batches in order, each watched for the pause', async () => {
    const h = harness({ config: { strategy: 'rolling', maxSurge: 1, maxUnavailable: 0, pause: '30s' } });
    const outcome = await runFor(h, 5 * MIN);
    expect(outcome.steps.map((s) => [s.name, s.trafficPercentage, s.durationMs, s.status])).toEqual([
      ['batch-1', 33, 30 * SEC, 'healthy'],
      ['batch-2', 67, 30 * SEC, 'healthy'],
      ['batch-3', 100, 30 * SEC, 'healthy'],
    ]);
    expect(timeline(h.traffic.calls).slice(2)).toEqual([
      { t: 0, method: 'ensureInstances', args: ['v2', 1] },
      { t: 0, method: 'setWeights', args: [{ v1: 67, v2: 33 }] },
      { t: 0, method: 'ensureInstances', args: ['v1', 2] },
      { t: 30 * SEC, method: 'ensureInstances', args: ['v2', 2] },
      { t: 30 * SEC, method: 'setWeights', args: [{ v1: 33, v2: 67 }] },
      { t: 30 * SEC, method: 'ensureInstances', args: ['v1', 1] },
      { t: 60 * SEC, method: 'ensureInstances', args: ['v2', 3] },
      { t: 60 * SEC, method: 'setWeights', args: [{ v2: 100 }] },
      { t: 60 * SEC, method: 'stopVersion', args: ['v1'] },
      { t: 90 * SEC, method: 'endRollout', args: ['ro_1'] },
    ]);
    expect(outcome.evaluations).toHaveLength(9);
  });

  it('a failing batch reverts; the saga then restores stable to full count', async () => {
    const h = harness({ config: { strategy: 'rolling', pause: '30s' } });
    h.traffic.setStats('v2', (now) => (now - T0 > 30 * SEC ? { requests: 100, errors5xx: 30 } : {}));
    const outcome = await runFor(h, 5 * MIN);
    expect(outcome.steps.map((s) => s.status)).toEqual(['healthy', 'failed', 'not_started']);
    expect(outcome.revertedAt).toBe(T0 + 50 * SEC);
    expect(h.traffic.snapshot()).toMatchObject({ weights: { v1: 100 }, counts: { v1: 1, v2: 2 } });
  });
});

describe('runRollout: first deployment', () => {
  it('starts the candidate and gives it all traffic', async () => {
    const h = harness({ config: { strategy: 'canary' }, stable: null });
    const outcome = await runFor(h, 0);
    expect(outcome).toMatchObject({ status: 'succeeded', steps: [{ name: 'full', trafficPercentage: 100, status: 'healthy' }], evaluations: [] });
    expect(timeline(h.traffic.calls, []).map((c) => [c.method, c.args])).toEqual([
      ['beginRollout', [{ id: 'ro_1', stable: null, candidate: 'v2', deadmanMs: 30 * SEC }]],
      ['currentWeights', []],
      ['ensureInstances', ['v2', 3]],
      ['setWeights', [{ v2: 100 }]],
      ['endRollout', ['ro_1']],
    ]);
  });

  it('a failure has no weights to revert to (the saga stops the candidate)', async () => {
    const h = harness({ config: { strategy: 'canary' }, stable: null });
    h.traffic.failEnsure('v2', 'port 3000 is in use');
    const outcome = await runFor(h, 0);
    expect(outcome).toMatchObject({ status: 'failed', reason: 'instances of v2 failed in step full: port 3000 is in use', revertedAt: null });
    expect(times(h.traffic.calls, 'setWeights')).toEqual([]);
  });
});

describe('runRollout: cancellation', () => {
  it('rejects with the abort reason at the next wait, leaving the dead-man switch armed', async () => {
    const ctrl = new AbortController();
    const h = harness({ config: { strategy: 'canary' }, signal: ctrl.signal });
    const run = h.start();
    await h.clock.advance(15 * SEC);
    const reason = new Cancelled('interrupted by SIGINT');
    ctrl.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(h.clock.pending).toBe(0);
    expect(times(h.traffic.calls, 'endRollout')).toEqual([]);
    expect(h.events.at(-1)).toEqual({ type: 'rollout:step', step: 'canary', status: 'failed', trafficPercentage: 5, weights: { v1: 95, v2: 5 }, durationMs: 15 * SEC });
  });

  it('cancels an instance start under way', async () => {
    const ctrl = new AbortController();
    const h = harness({ config: { strategy: 'canary' }, signal: ctrl.signal });
    h.traffic.setDelay('ensureInstances', MIN);
    const run = h.start();
    await h.clock.advance(25 * SEC);
    ctrl.abort();
    await expect(run).rejects.toBeInstanceOf(Cancelled);
    expect(h.clock.pending).toBe(0);
    expect(times(h.traffic.calls, 'setWeights')).toEqual([]);
  });

  it('an already aborted signal stops before any call', async () => {
    const ctrl = new AbortController();
    ctrl.abort(new Cancelled('too late'));
    const h = harness({ signal: ctrl.signal });
    await expect(h.start()).rejects.toThrow('too late');
    expect(h.traffic.calls).toEqual([]);
  });
});
