import { describe, expect, it } from 'vitest';
import { EMPTY_STAGE_VIEW, foldStageView, stageOf, stageViewLines, type StageView } from '../../../../src/cli/render/stage-view.js';
import type { JournaledEvent } from '../../../../src/pipeline/events.js';
import type { Evaluation } from '../../../../src/rollout/contract.js';

const at = '2026-11-23T17:00:00.000Z';
const deploymentId = 'dep_20261123T170000Z_00abc';
const base = { at, deploymentId, stage: 'deploy' } as const;

function evaluation(step: string, verdict: Evaluation['verdict'], reasons: string[]): Evaluation {
  return { at, step, verdict, reasons, candidate: { version: 'v1.2.0', windowMs: 1000, requests: 60, errors5xx: 0, connErrors: 0, errorRate: 0, p50: 3, p95: 9, p99: 12 }, stable: null, probes: [] };
}

function fold(events: JournaledEvent[]): StageView {
  return events.reduce<StageView>((v, e) => foldStageView(v, e) ?? v, EMPTY_STAGE_VIEW);
}

const canaryStarted: JournaledEvent = { ...base, type: 'rollout:step', step: 'canary', status: 'started', trafficPercentage: 5, weights: { 'v1.1.0': 95, 'v1.2.0': 5 }, durationMs: 0 };
const canaryWeights: JournaledEvent = { ...base, type: 'rollout:weights', weights: { 'v1.1.0': 95, 'v1.2.0': 5 }, reason: 'step canary' };
const canaryPass: JournaledEvent = { ...base, type: 'rollout:evaluation', failures: 0, failureLimit: 2, evaluation: evaluation('canary', 'pass', ['error rate 0.0% (0 of 60 requests) is within 1.0%']) };
const canaryDone: JournaledEvent = { ...base, type: 'rollout:step', step: 'canary', status: 'finished', trafficPercentage: 5, weights: { 'v1.1.0': 95, 'v1.2.0': 5 }, durationMs: 120_000 };
const halfStarted: JournaledEvent = { ...base, type: 'rollout:step', step: 'progressive', status: 'started', trafficPercentage: 50, weights: { 'v1.1.0': 50, 'v1.2.0': 50 }, durationMs: 0 };

describe('the live view of a stage', () => {
  it('shows the step under way, the weights and the last verdict of a canary', () => {
    expect(stageViewLines(fold([canaryStarted, canaryWeights, canaryPass]), 'running')).toEqual([
      'rollout canary: 5% to the new version',
      'weights v1.1.0=95% v1.2.0=5% (step canary)',
      'analysis canary: pass — error rate 0.0% (0 of 60 requests) is within 1.0%',
    ]);
  });

  it('keeps each ended step with its share, and starts the next step without the old verdict', () => {
    const v = fold([canaryStarted, canaryWeights, canaryPass, canaryDone, halfStarted]);
    expect(stageViewLines(v, 'running')).toEqual(['rollout canary at 5%: healthy after 2m', 'rollout progressive: 50% to the new version', 'weights v1.1.0=50% v1.2.0=50%']);
    expect(stageViewLines(v, 'finished')).toEqual(['rollout canary at 5%: healthy after 2m']);
  });

  it('a failed rollout keeps the revert and the verdict that failed it, without repeating the stage error', () => {
    const fail: JournaledEvent = { ...base, type: 'rollout:evaluation', failures: 2, failureLimit: 2, evaluation: evaluation('canary', 'fail', ['error rate 20.0% (12 of 60 requests) is above 1.0%']) };
    const failed: JournaledEvent = { ...base, type: 'rollout:step', step: 'canary', status: 'failed', trafficPercentage: 5, weights: { 'v1.1.0': 100 }, durationMs: 2000 };
    const revert: JournaledEvent = { ...base, type: 'rollout:weights', weights: { 'v1.1.0': 100 }, reason: 'revert: analysis failed 2 times (failureLimit 2), last in step canary: error rate 20.0%' };
    expect(stageViewLines(fold([canaryStarted, canaryWeights, fail, revert, failed]), 'failed')).toEqual([
      'rollout canary at 5%: FAILED after 2s',
      'weights v1.1.0=100% (reverted)',
      'analysis canary: fail — error rate 20.0% (12 of 60 requests) is above 1.0% (2 of 2)',
    ]);
  });

  it('a script step shows its name (even without verbose) and its last output line; a pause or a cancel is a notice', () => {
    const v = fold([
      { ...base, type: 'step:started', step: 'deploy', detail: './deploy.sh' },
      { ...base, type: 'step:output', step: 'deploy', lines: [{ stream: 'stdout', text: 'pulling' }, { stream: 'stderr', text: 'warn: slow' }] },
      { at, deploymentId, type: 'cancel:requested', signal: 'SIGINT' },
    ]);
    expect(stageViewLines(v, 'running')).toEqual(['deploy/deploy started: ./deploy.sh', 'cancel requested (SIGINT)', '│ warn: slow']);
    expect(stageViewLines(fold([{ ...base, stage: 'smoke', type: 'step:started', step: 'api' }]), 'running')).toEqual(['smoke/api started']);
    expect(stageViewLines(fold([canaryStarted, { ...base, type: 'rollout:paused', step: 'canary', reason: 'command' }]), 'running')).toContain(
      'rollout paused in canary (by a person): shipgate resume or promote goes on, shipgate abort reverts',
    );
  });

  it('gates show the last gate and what a gate waits for', () => {
    const v = fold([
      { at, deploymentId, type: 'gate:evaluated', gate: { name: 'semver', result: 'pass', reason: 'v1.2.0 is a valid release version' } },
      { at, deploymentId, type: 'gate:waiting', gate: 'approval', message: 'waiting for 1 approval from alice, bob' },
    ]);
    expect(stageViewLines(v, 'running')).toEqual(['gate semver: pass — v1.2.0 is a valid release version', 'gate approval: waiting for 1 approval from alice, bob']);
  });

  it('routes events to their stage; undo and whole-deployment events are lines of their own', () => {
    expect(stageOf(canaryStarted)).toBe('deploy');
    expect(stageOf({ at, deploymentId, type: 'gate:waiting', gate: 'approval', message: 'x' })).toBe('gates');
    expect(stageOf({ ...base, type: 'undo:started' })).toBeNull();
    expect(stageOf({ ...base, type: 'stage:finished', durationMs: 1 })).toBeNull();
    expect(stageOf({ at, deploymentId, type: 'deploy:finished', status: 'succeeded', durationMs: 1, error: null, recordPath: null })).toBeNull();
    expect(foldStageView(EMPTY_STAGE_VIEW, { ...base, type: 'undo:started' })).toBeNull();
  });
});
