import type { Evaluation, RolloutCommand } from './contract.js';

/**
 * What the controller tells the journal, the deployment record and the progress
 * view while it runs. Each is awaited before the controller goes on, so a journal
 * write lands before the next action.
 */
export type RolloutEvent =
  | RolloutStepEvent
  | RolloutEvaluationEvent
  | RolloutWeightsEvent
  | RolloutPausedEvent
  | RolloutResumedEvent
  | RolloutCommandEvent;

export interface RolloutStepEvent {
  type: 'rollout:step';
  step: string;
  /** `started` before the step's actions; `finished` after its watch passed; `failed` when it failed or was cancelled. */
  status: 'started' | 'finished' | 'failed';
  /** The candidate's planned share in this step. */
  trafficPercentage: number;
  /** `started`: the weights the step sets (or the ones in effect); `finished`/`failed`: the weights in effect now (the revert's, after a failure). */
  weights: Record<string, number>;
  /** 0 for `started`; time since the step started otherwise. */
  durationMs: number;
}

export interface RolloutEvaluationEvent {
  type: 'rollout:evaluation';
  evaluation: Evaluation;
  /** Failed evaluations so far in the whole rollout, this one included. */
  failures: number;
  failureLimit: number;
}

export interface RolloutWeightsEvent {
  type: 'rollout:weights';
  /** The weights just set (after the call returned). */
  weights: Record<string, number>;
  /** `step canary`, or `revert: <why the rollout failed>`. */
  reason: string;
}

export interface RolloutPausedEvent {
  type: 'rollout:paused';
  step: string;
  /** `command`: `shipgate pause`; `inconclusive`: analysis was inconclusive and `onInconclusive` is `pause`. */
  reason: 'command' | 'inconclusive';
}

export interface RolloutResumedEvent {
  type: 'rollout:resumed';
  step: string;
}

export interface RolloutCommandEvent {
  type: 'rollout:command';
  command: RolloutCommand;
  /** The step running when the command arrived. */
  step: string;
  /** A store session's request this answers (its journal sequence number), and who sent it. */
  requestSeq?: number;
  by?: string;
}
