import { describe, expect, it } from 'vitest';
import { MIN, SEC, T0, harness, runFor, timeline, times } from './helpers.js';

describe('runRollout: canary', () => {
  it('happy path: steps at 0, 5m and 15m, analysis every 10s throughout, stable stopped after full', async () => {
    const h = harness({ config: { strategy: 'canary' } });
    const outcome = await runFor(h, 30 * MIN);
    expect(outcome).toMatchObject({
      status: 'succeeded',
      reason: null,
      revertedAt: null,
      steps: [
        { name: 'canary', trafficPercentage: 5, durationMs: 5 * MIN, status: 'healthy' },
        { name: 'progressive', trafficPercentage: 50, durationMs: 10 * MIN, status: 'healthy' },
        { name: 'full', trafficPercentage: 100, durationMs: 15 * MIN, status: 'healthy' },
      ],
    });
    expect(timeline(h.traffic.calls)).toEqual([
      { t: 0, method: 'beginRollout', args: [{ id: 'ro_1', stable: 'v1', candidate: 'v2', deadmanMs: 30 * SEC }] },
      { t: 0, method: 'currentWeights', args: [] },
      { t: 0, method: 'ensureInstances', args: ['v2', 3] },
      { t: 0, method: 'setWeights', args: [{ v1: 95, v2: 5 }] },
      { t: 5 * MIN, method: 'setWeights', args: [{ v1: 50, v2: 50 }] },
      { t: 15 * MIN, method: 'setWeights', args: [{ v2: 100 }] },
      { t: 30 * MIN, method: 'endRollout', args: ['ro_1'] },
      { t: 30 * MIN, method: 'stopVersion', args: ['v1'] },
    ]);
    const evalTimes = times(h.traffic.calls, 'stats', 'v2');
    expect(evalTimes).toHaveLength(180);
    expect(evalTimes.every((t, i) => t === (i + 1) * 10 * SEC)).toBe(true);
    expect(times(h.traffic.calls, 'stats', 'v1')).toEqual(evalTimes);
    expect(times(h.traffic.calls, 'probe')).toEqual(evalTimes);
    expect(times(h.traffic.calls, 'heartbeat')).toEqual(evalTimes);
    expect(outcome.evaluations.map((e) => e.verdict)).toEqual(Array(180).fill('pass'));
    expect(outcome.evaluations.map((e) => e.step).filter((s, i, all) => s !== all[i - 1])).toEqual(['canary', 'progressive', 'full']);
    expect(outcome.evaluations[0]!.at).toBe(new Date(T0 + 10 * SEC).toISOString());
    expect(h.traffic.snapshot()).toMatchObject({ weights: { v2: 100 }, counts: { v2: 3 }, rollout: { state: 'ended' } });
  });

  it('emits step, weights and evaluation events in order, with their figures', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 50, pause: '20s' }] } });
    await runFor(h, MIN);
    expect(h.events.map((e) => (e.type === 'rollout:evaluation' ? { type: e.type, step: e.evaluation.step, verdict: e.evaluation.verdict, failures: e.failures, failureLimit: e.failureLimit } : e))).toEqual([
      { type: 'rollout:step', step: 'canary', status: 'started', trafficPercentage: 50, weights: { v1: 50, v2: 50 }, durationMs: 0 },
      { type: 'rollout:weights', weights: { v1: 50, v2: 50 }, reason: 'step canary' },
      { type: 'rollout:evaluation', step: 'canary', verdict: 'pass', failures: 0, failureLimit: 2 },
      { type: 'rollout:evaluation', step: 'canary', verdict: 'pass', failures: 0, failureLimit: 2 },
      { type: 'rollout:step', step: 'canary', status: 'finished', trafficPercentage: 50, weights: { v1: 50, v2: 50 }, durationMs: 20 * SEC },
      { type: 'rollout:step', step: 'full', status: 'started', trafficPercentage: 100, weights: { v2: 100 }, durationMs: 0 },
      { type: 'rollout:weights', weights: { v2: 100 }, reason: 'step full' },
      { type: 'rollout:step', step: 'full', status: 'finished', trafficPercentage: 100, weights: { v2: 100 }, durationMs: 0 },
    ]);
  });

  it('failing at 5%: the revert weights are set in the tick of the 2nd failed evaluation, before any other call', async () => {
    const h = harness({ config: { strategy: 'canary', analysis: { interval: '1s', failureLimit: 2 } } });
    h.traffic.setStats('v2', { requests: 60, errors5xx: 12 });
    const outcome = await runFor(h, 10 * SEC);
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'analysis failed 2 times (failureLimit 2), last in step canary: error rate 20.0% (12 of 60 requests) is above 1.0%',
      revertedAt: T0 + 2 * SEC,
      steps: [
        { name: 'canary', trafficPercentage: 5, durationMs: 2 * SEC, status: 'failed' },
        { name: 'progressive', trafficPercentage: 50, durationMs: 0, status: 'not_started' },
        { name: 'full', trafficPercentage: 100, durationMs: 0, status: 'not_started' },
      ],
    });
    expect(outcome.evaluations.map((e) => [e.at, e.verdict])).toEqual([
      [new Date(T0 + SEC).toISOString(), 'fail'],
      [new Date(T0 + 2 * SEC).toISOString(), 'fail'],
    ]);
    const tick = h.traffic.calls.filter((c) => c.at === T0 + 2 * SEC).map((c) => [c.method, c.args[0]]);
    expect(tick).toEqual([
      ['heartbeat', 'ro_1'],
      ['stats', 'v2'],
      ['stats', 'v1'],
      ['probe', 'v2'],
      ['setWeights', { v1: 100 }],
      ['endRollout', 'ro_1'],
    ]);
    expect(h.traffic.calls.at(-1)!.at).toBe(T0 + 2 * SEC);
    expect(h.traffic.snapshot()).toMatchObject({ weights: { v1: 100 }, counts: { v1: 3, v2: 3 } });
    const tail = h.events.slice(-3);
    expect(tail.map((e) => e.type)).toEqual(['rollout:evaluation', 'rollout:weights', 'rollout:step']);
    expect(tail[0]).toMatchObject({ failures: 2, failureLimit: 2 });
    expect(tail[1]).toEqual({ type: 'rollout:weights', weights: { v1: 100 }, reason: `revert: ${outcome.reason}` });
    expect(tail[2]).toEqual({ type: 'rollout:step', step: 'canary', status: 'failed', trafficPercentage: 5, weights: { v1: 100 }, durationMs: 2 * SEC });
  });

  it('a failure during progressive reverts there; canary stays healthy', async () => {
    const h = harness({ config: { strategy: 'canary' } });
    h.traffic.setStats('v2', (now) => (now - T0 > 5 * MIN + 30 * SEC ? { requests: 500, errors5xx: 40 } : {}));
    const outcome = await runFor(h, 30 * MIN);
    expect(outcome.status).toBe('failed');
    expect(outcome.revertedAt).toBe(T0 + 5 * MIN + 50 * SEC);
    expect(outcome.steps.map((s) => [s.name, s.status, s.durationMs])).toEqual([
      ['canary', 'healthy', 5 * MIN],
      ['progressive', 'failed', 50 * SEC],
      ['full', 'not_started', 0],
    ]);
    expect(outcome.reason).toBe('analysis failed 2 times (failureLimit 2), last in step progressive: error rate 8.0% (40 of 500 requests) is above 1.0%');
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0, 5 * MIN, 5 * MIN + 50 * SEC]);
    expect(h.traffic.snapshot().weights).toEqual({ v1: 100 });
  });

  it('failed evaluations count over the whole rollout, not per step', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 10, pause: '30s' }, { weight: 50, pause: '30s' }] } });
    // One bad window in each step.
    h.traffic.setStats('v2', (now) => ([20 * SEC, 50 * SEC].includes(now - T0) ? { requests: 100, errors5xx: 50 } : {}));
    const outcome = await runFor(h, 5 * MIN);
    expect(outcome.status).toBe('failed');
    expect(outcome.revertedAt).toBe(T0 + 50 * SEC);
    expect(outcome.evaluations.filter((e) => e.verdict === 'fail').map((e) => e.step)).toEqual(['canary', 'progressive']);
  });

  it('with the memory traffic: the candidate starts failing its probes mid-step and traffic goes back to stable', async () => {
    const h = harness({ config: { strategy: 'canary', analysis: { failureLimit: 3 } } });
    h.traffic.setProbes('v2', (instance, now) => (instance.id === 'v2-2' && now - T0 >= 2 * MIN ? { ok: false, status: null, reason: 'connection refused' } : { ok: true }));
    const outcome = await runFor(h, 30 * MIN);
    expect(outcome.status).toBe('failed');
    expect(outcome.revertedAt).toBe(T0 + 2 * MIN + 20 * SEC);
    expect(outcome.reason).toBe('analysis failed 3 times (failureLimit 3), last in step canary: probe of instance v2-2 (v2) failed: connection refused');
    expect(outcome.evaluations.at(-1)!.probes.map((p) => [p.instanceId, p.ok])).toEqual([
      ['v2-1', true],
      ['v2-2', false],
      ['v2-3', true],
    ]);
    expect(h.traffic.snapshot().weights).toEqual({ v1: 100 });
  });
});
