import { describe, expect, it } from 'vitest';
import { ABORT_COMMAND_REASON, DEADMAN_REASON } from '../../../src/rollout/controller.js';
import { MIN, SEC, T0, harness, runFor, times, watch } from './helpers.js';

describe('runRollout: inconclusive windows', () => {
  const quiet = { requests: 5 };

  it('continue: ignores them', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 50, pause: '30s' }], analysis: { onInconclusive: 'continue' } } });
    h.traffic.setStats('v2', quiet);
    const outcome = await runFor(h, MIN);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.evaluations.map((e) => e.verdict)).toEqual(['inconclusive', 'inconclusive', 'inconclusive']);
    expect(h.events.filter((e) => e.type === 'rollout:evaluation').map((e) => e.failures)).toEqual([0, 0, 0]);
  });

  it('fail: counts them as failed evaluations', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 50, pause: '30s' }], analysis: { onInconclusive: 'fail' } } });
    h.traffic.setStats('v2', quiet);
    const outcome = await runFor(h, MIN);
    expect(outcome).toMatchObject({
      status: 'failed',
      revertedAt: T0 + 20 * SEC,
      reason: 'analysis failed 2 times (failureLimit 2), last in step canary: only 5 requests to v2 in the last 10s (fewer than 20), so this window is inconclusive',
    });
  });

  it('pause: holds the pause clock until `resume`, evaluating all along', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 50, pause: '30s' }], analysis: { onInconclusive: 'pause' } } });
    h.traffic.setStats('v2', (now) => (now - T0 <= 10 * SEC ? quiet : {}));
    const run = h.start();
    await h.clock.advance(65 * SEC);
    expect(h.events.filter((e) => e.type === 'rollout:paused')).toEqual([{ type: 'rollout:paused', step: 'canary', reason: 'inconclusive' }]);
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0]); // still in canary, well past its 30s
    h.traffic.sendCommand('resume');
    await h.clock.advance(MIN);
    const outcome = await run;
    // 10s counted before the pause, 20s after the resume (picked up at the 70s tick).
    expect(outcome.steps[0]).toMatchObject({ name: 'canary', status: 'healthy', durationMs: 90 * SEC });
    expect(outcome.evaluations.map((e) => e.verdict)).toEqual(['inconclusive', ...Array(8).fill('pass')]);
    expect(h.events.filter((e) => e.type === 'rollout:resumed' || e.type === 'rollout:command')).toEqual([
      { type: 'rollout:command', command: 'resume', step: 'canary' },
      { type: 'rollout:resumed', step: 'canary' },
    ]);
  });
});

describe('runRollout: inconclusive pause ended by a person', () => {
  const quiet = { requests: 5 };
  const config = { strategy: 'canary' as const, steps: [{ weight: 20, pause: '30s' }, { weight: 100, pause: '30s' }], analysis: { onInconclusive: 'pause' as const } };

  it('promote ends the hold and the rollout goes on (not held again in the next step)', async () => {
    const h = harness({ config });
    h.traffic.setStats('v2', (now) => (now - T0 <= 10 * SEC ? quiet : {}));
    const run = h.start();
    await h.clock.advance(10 * MIN);
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0]); // held at 20% long past the 30s pause
    h.traffic.sendCommand('promote');
    await h.clock.advance(2 * MIN);
    const outcome = await run;
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => s.status)).toEqual(['healthy', 'healthy']);
    // The full step ran its own 30s, unpaused.
    expect(outcome.steps[1]!.durationMs).toBe(30 * SEC);
    expect(h.events.filter((e) => e.type === 'rollout:paused' || e.type === 'rollout:resumed')).toEqual([
      { type: 'rollout:paused', step: 'canary', reason: 'inconclusive' },
      { type: 'rollout:resumed', step: 'canary' },
    ]);
  });

  it('promote while every window stays inconclusive: the step ends at once, without another evaluation pausing it again', async () => {
    const h = harness({ config: { ...config, steps: [{ weight: 20, pause: '30s' }, { weight: 100, pause: '0s' }] } });
    h.traffic.setStats('v2', quiet);
    const run = h.start();
    await h.clock.advance(10 * MIN);
    const evaluations = h.events.filter((e) => e.type === 'rollout:evaluation').length;
    h.traffic.sendCommand('promote');
    await h.clock.advance(MIN);
    expect(await run).toMatchObject({ status: 'succeeded' });
    expect(h.events.filter((e) => e.type === 'rollout:evaluation').length).toBe(evaluations);
    expect(h.events.filter((e) => e.type === 'rollout:paused')).toHaveLength(1);
  });

  it('abort ends the hold by reverting', async () => {
    const h = harness({ config });
    h.traffic.setStats('v2', quiet);
    const run = h.start();
    await h.clock.advance(10 * MIN);
    h.traffic.sendCommand('abort');
    await h.clock.advance(MIN);
    expect(await run).toMatchObject({ status: 'failed', reason: ABORT_COMMAND_REASON });
  });
});

describe('runRollout: commands', () => {
  it('manual pause: waits (analysing) until promote', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 5, pause: 'manual' }, { weight: 100, pause: '1m' }] } });
    const run = watch(h.start().then((o) => (outcome = o)));
    let outcome: Awaited<ReturnType<typeof h.start>> | undefined;
    await h.clock.advance(60 * MIN);
    expect(run.state()).toBe('pending');
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0]);
    h.traffic.sendCommand('promote');
    await h.clock.advance(2 * MIN);
    expect(run.state()).toBe('resolved');
    expect(outcome!.status).toBe('succeeded');
    expect(outcome!.steps.map((s) => [s.name, s.durationMs])).toEqual([
      ['canary', 60 * MIN + 10 * SEC],
      ['full', MIN],
    ]);
    // One every 10s for 60 minutes; none at the tick that heard the promote.
    expect(outcome!.evaluations.filter((e) => e.step === 'canary')).toHaveLength(360);
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0, 60 * MIN + 10 * SEC]);
  });

  it('manual pause: a failing verdict still reverts', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 5, pause: 'manual' }] } });
    h.traffic.setStats('v2', (now) => (now - T0 >= 3 * MIN ? { requests: 100, errors5xx: 100 } : {}));
    const outcome = await runFor(h, 10 * MIN);
    expect(outcome).toMatchObject({ status: 'failed', revertedAt: T0 + 3 * MIN + 10 * SEC });
  });

  it('promote-full: jumps to the full step, skipping the ones between', async () => {
    const h = harness({ config: { strategy: 'canary' } });
    const run = h.start();
    await h.clock.advance(MIN);
    h.traffic.sendCommand('promote-full');
    await h.clock.advance(30 * MIN);
    const outcome = await run;
    expect(outcome.steps.map((s) => [s.name, s.status, s.durationMs])).toEqual([
      ['canary', 'healthy', 70 * SEC],
      ['progressive', 'skipped', 0],
      ['full', 'healthy', 15 * MIN],
    ]);
    expect(h.traffic.callsOf('setWeights').map((c) => [c.at - T0, c.args[0]])).toEqual([
      [0, { v1: 95, v2: 5 }],
      [70 * SEC, { v2: 100 }],
    ]);
    expect(h.events).toContainEqual({ type: 'rollout:command', command: 'promote-full', step: 'canary' });
  });

  it('abort: fails "aborted by a person" and reverts at once', async () => {
    const h = harness({ config: { strategy: 'canary' } });
    const run = h.start();
    await h.clock.advance(6 * MIN);
    h.traffic.sendCommand('abort');
    await h.clock.advance(MIN);
    const outcome = await run;
    expect(outcome).toMatchObject({ status: 'failed', reason: ABORT_COMMAND_REASON, revertedAt: T0 + 6 * MIN + 10 * SEC });
    expect(ABORT_COMMAND_REASON).toBe('aborted by a person');
    expect(outcome.steps.map((s) => s.status)).toEqual(['healthy', 'failed', 'not_started']);
    const tick = h.traffic.calls.filter((c) => c.at === T0 + 6 * MIN + 10 * SEC).map((c) => c.method);
    expect(tick).toEqual(['heartbeat', 'setWeights', 'endRollout']);
  });

  it('pause / resume: stops the pause clock while analysis continues', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 20, pause: '1m' }, { weight: 100 }] } });
    const run = h.start();
    await h.clock.advance(20 * SEC);
    h.traffic.sendCommand('pause');
    await h.clock.advance(5 * MIN - 20 * SEC);
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0]);
    expect(times(h.traffic.calls, 'stats', 'v2').at(-1)).toBe(5 * MIN); // still evaluating
    h.traffic.sendCommand('resume');
    await h.clock.advance(MIN);
    const outcome = await run;
    // Paused at the 30s tick with 30s left; resumed at the 5m10s tick.
    expect(outcome.steps[0]).toMatchObject({ status: 'healthy', durationMs: 5 * MIN + 40 * SEC });
    expect(h.events.filter((e) => ['rollout:paused', 'rollout:resumed', 'rollout:command'].includes(e.type))).toEqual([
      { type: 'rollout:command', command: 'pause', step: 'canary' },
      { type: 'rollout:paused', step: 'canary', reason: 'command' },
      { type: 'rollout:command', command: 'resume', step: 'canary' },
      { type: 'rollout:resumed', step: 'canary' },
    ]);
  });

  it('a pause holds even a step with no pause of its own', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 20, pause: '20s' }, { weight: 100 }] } });
    const run = watch(h.start());
    await h.clock.advance(5 * SEC);
    h.traffic.sendCommand('pause');
    await h.clock.advance(30 * MIN);
    expect(run.state()).toBe('pending');
    h.traffic.sendCommand('resume');
    await h.clock.advance(MIN);
    expect(run.state()).toBe('resolved');
  });
});

describe('runRollout: dead-man switch', () => {
  it('a stalled driver: the agent reverts on its own, the next heartbeat fails the rollout', async () => {
    const h = harness({ config: { strategy: 'canary' }, deadmanMs: 30 * SEC });
    h.traffic.setDelay('probe', 40 * SEC);
    const outcome = await runFor(h, 5 * MIN);
    expect(outcome).toMatchObject({ status: 'failed', reason: DEADMAN_REASON });
    expect(DEADMAN_REASON).toBe('aborted by the dead-man switch');
    // Last heartbeat at 10s, so the switch fired at 40s; the driver heard of it at 50s, when the probe returned.
    expect(h.traffic.snapshot().rollout).toMatchObject({ state: 'ended', abortedAt: T0 + 40 * SEC });
    expect(times(h.traffic.calls, 'heartbeat')).toEqual([10 * SEC, 50 * SEC]);
    expect(outcome.revertedAt).toBe(T0 + 50 * SEC);
    expect(h.traffic.snapshot().weights).toEqual({ v1: 100 });
  });

  it('heartbeats at least every third of deadmanMs, between evaluations too', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 50, pause: '1m' }, { weight: 100 }] }, deadmanMs: 9 * SEC });
    await runFor(h, 2 * MIN);
    const beats = [0, ...times(h.traffic.calls, 'heartbeat')];
    expect(Math.max(...beats.slice(1).map((t, i) => t - beats[i]!))).toBeLessThanOrEqual(3 * SEC);
    expect(times(h.traffic.calls, 'stats', 'v2')).toEqual([10, 20, 30, 40, 50, 60].map((s) => s * SEC));
  });

  it('keeps heartbeating while instances take long to start', async () => {
    const h = harness({ config: { strategy: 'canary', steps: [{ weight: 50, pause: '10s' }, { weight: 100 }] }, deadmanMs: 30 * SEC });
    h.traffic.setDelay('ensureInstances', 45 * SEC);
    const outcome = await runFor(h, 5 * MIN);
    expect(outcome.status).toBe('succeeded');
    expect(times(h.traffic.calls, 'heartbeat')).toEqual([10, 20, 30, 40, 55].map((s) => s * SEC));
    expect(times(h.traffic.calls, 'setWeights')).toEqual([45 * SEC, 55 * SEC]);
  });

  it('a command heard while an action runs applies once it is done', async () => {
    const h = harness({ config: { strategy: 'canary' }, deadmanMs: 30 * SEC });
    h.traffic.setDelay('ensureInstances', 45 * SEC);
    const run = h.start();
    await h.clock.advance(15 * SEC);
    h.traffic.sendCommand('abort');
    await h.clock.advance(MIN);
    const outcome = await run;
    expect(outcome).toMatchObject({ status: 'failed', reason: 'aborted by a person', revertedAt: T0 + 45 * SEC });
    expect(h.traffic.callsOf('setWeights').map((c) => c.args[0])).toEqual([{ v1: 100 }]);
  });
});
