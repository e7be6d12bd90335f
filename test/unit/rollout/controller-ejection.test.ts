import { describe, expect, it } from 'vitest';
import { MIN, SEC, T0, harness, times } from './helpers.js';

/**
 * An ejection of the candidate by the router (its answers failed `ejectAfter`
 * times in a row) fails the rollout at once: the revert's weights are set in
 * the tick that hears of it, the evaluation it amounts to is journaled, and
 * with a held heartbeat (`waitForSignals`, as the agent offers) that tick is
 * the moment of the ejection, well inside one analysis interval.
 */

const canary = { strategy: 'canary', steps: [{ weight: 5, pause: '60s' }, { weight: 100, pause: '0s' }], analysis: { interval: '1s', failureLimit: 2 } };

describe('runRollout: the router ejects the candidate', () => {
  it('with a held heartbeat: reverts at the moment of the ejection, between two evaluations', async () => {
    const h = harness({ config: canary, longPoll: true });
    // Too few requests for analysis to decide (inconclusive, and onInconclusive continues): only the ejection stops it.
    h.traffic.setStats('v2', { requests: 10, errors5xx: 5 });
    const run = h.start();
    await h.clock.advance(2 * SEC + 300);
    h.traffic.eject('v2');
    await h.clock.advance(0);
    await h.clock.advance(MIN);
    const outcome = await run;
    expect(outcome.status).toBe('failed');
    expect(outcome.revertedAt).toBe(T0 + 2 * SEC + 300);
    expect(times(h.traffic.calls, 'setWeights')).toEqual([0, 2 * SEC + 300]);
    expect(h.traffic.snapshot().weights).toEqual({ v1: 100 });
    expect(outcome.reason).toMatch(/^the router ejected v2: its answers failed again and again in a row \(error rate 50\.0%, 5 of 10 requests in the last 10s\); the rollout failed at once, in step canary$/);
  });

  it('journals the ejection as a failed evaluation, after the revert weights are set and before they are reported', async () => {
    const h = harness({ config: canary, longPoll: true });
    const run = h.start();
    await h.clock.advance(1500);
    h.traffic.eject('v2');
    await h.clock.advance(MIN);
    const outcome = await run;
    const last = h.events.slice(-3).map((e) => e.type);
    expect(last).toEqual(['rollout:evaluation', 'rollout:weights', 'rollout:step']);
    const evaluation = h.events.find((e) => e.type === 'rollout:evaluation' && e.evaluation.verdict === 'fail');
    expect(evaluation).toMatchObject({ failures: 1, failureLimit: 2, evaluation: { step: 'canary', verdict: 'fail', at: new Date(T0 + 1500).toISOString(), candidate: { version: 'v2', ejected: true } } });
    expect(outcome.evaluations.at(-1)!.verdict).toBe('fail');
    expect(h.events.at(-2)).toMatchObject({ type: 'rollout:weights', weights: { v1: 100 }, reason: expect.stringMatching(/^revert: the router ejected v2/) });
  });

  it('without a held heartbeat: reverts at the next tick (here the next evaluation, 1 s later at most)', async () => {
    const h = harness({ config: canary });
    const run = h.start();
    await h.clock.advance(2 * SEC + 300);
    h.traffic.eject('v2');
    await h.clock.advance(MIN);
    const outcome = await run;
    expect(outcome.status).toBe('failed');
    expect(outcome.revertedAt).toBe(T0 + 3 * SEC);
    expect(outcome.reason).toMatch(/^the router ejected v2/);
  });

  it('an ejection of another version (stable) is not a failure of the candidate', async () => {
    const h = harness({ config: { ...canary, steps: [{ weight: 5, pause: '5s' }, { weight: 100, pause: '0s' }] }, longPoll: true });
    const run = h.start();
    await h.clock.advance(2 * SEC);
    h.traffic.eject('v1');
    await h.clock.advance(MIN);
    expect((await run).status).toBe('succeeded');
  });

  it('commands reach a held heartbeat at once too', async () => {
    const h = harness({ config: canary, longPoll: true });
    const run = h.start();
    await h.clock.advance(2 * SEC + 300);
    h.traffic.sendCommand('abort');
    await h.clock.advance(MIN);
    expect(await run).toMatchObject({ status: 'failed', revertedAt: T0 + 2 * SEC + 300, reason: 'aborted by a person' });
  });

  it('a held heartbeat keeps the rollout healthy when nothing happens (same steps and evaluations as without)', async () => {
    const held = harness({ config: canary, longPoll: true });
    const plain = harness({ config: canary });
    const [a, b] = await Promise.all([held.start(), plain.start(), held.clock.advance(2 * MIN), plain.clock.advance(2 * MIN)]);
    expect(a.status).toBe('succeeded');
    expect(a.steps).toEqual(b.steps);
    expect(a.evaluations.map((e) => [e.at, e.verdict])).toEqual(b.evaluations.map((e) => [e.at, e.verdict]));
  });
});
