import type { AnalysisConfig } from '../config/schema/rollout.js';
import { toMs } from '../config/duration.js';
import { abortReason, type Clock } from '../runtime/clock.js';
import { evaluate, type EvaluationInput } from './analysis.js';
import { InstancesFailed, type Evaluation, type PlanStep, type RolloutAction, type RolloutCommand, type RolloutPlan, type RolloutSignals, type RouterEjection, type TrafficControl } from './contract.js';
import type { RolloutEvent } from './events.js';
import { weightsSetBy } from './weights.js';

/** How long blue stays warm after a blue-green switch: the runbooks' 60-minute rollback window. */
export const DEFAULT_KEEP_WARM_MS = 60 * 60_000;
export const DEADMAN_REASON = 'aborted by the dead-man switch';
export const ABORT_COMMAND_REASON = 'aborted by a person';

export interface RolloutDeps {
  traffic: TrafficControl;
  clock: Clock;
  analysis: AnalysisConfig;
  /** Registered with the traffic control for heartbeats and commands. */
  rolloutId: string;
  /** The agent returns traffic to stable when heartbeats stop this long; heartbeats go at least every third of it. */
  deadmanMs: number;
  /** Ctrl-C: the run rejects with the abort reason at the next action or wait. */
  signal?: AbortSignal;
  /** Instances per version at full count (the plan's actions carry their own counts). */
  instances: number;
  /** Awaited for every event, so a journal write lands before the next action. */
  onEvent?: (e: RolloutEvent) => void | Promise<void>;
  /** How long the old version stays warm after a `keepWarm` action. @default DEFAULT_KEEP_WARM_MS */
  keepWarmMs?: number;
  /** The stats window of each evaluation. @default the analysis interval */
  windowMs?: number;
}

export type RolloutStepStatus = 'healthy' | 'failed' | 'skipped' | 'not_started';

export interface RolloutStepOutcome {
  name: string;
  trafficPercentage: number;
  durationMs: number;
  status: RolloutStepStatus;
}

export interface RolloutOutcome {
  status: 'succeeded' | 'failed';
  /** Why it failed, as a sentence; null when it succeeded. */
  reason: string | null;
  steps: RolloutStepOutcome[];
  evaluations: Evaluation[];
  /** Clock time at which the controller set the revert weights; null if it did not. */
  revertedAt: number | null;
}

/**
 * Executes a plan: each step's actions, then a watch of the step's pause with
 * analysis every interval, heartbeats and commands. On failure the revert's
 * weights are set at once; the saga's undo runs the rest of the revert.
 */
export function runRollout(plan: RolloutPlan, deps: RolloutDeps): Promise<RolloutOutcome> {
  return new RolloutRun(plan, deps).run();
}

type Settled<T> = { value: T } | { error: unknown };

class RolloutRun {
  private readonly steps: RolloutStepOutcome[];
  private readonly evaluations: Evaluation[] = [];
  private readonly intervalMs: number;
  private readonly heartbeatEveryMs: number;
  private failures = 0;
  private failure: string | null = null;
  private revertedAt: number | null = null;
  private weights: Record<string, number> = {};
  private current = '';
  private promoted = false;
  private jumpToFull = false;
  private pausedBy: 'command' | 'inconclusive' | null = null;
  /** The evaluation an ejection of the candidate made, journaled once traffic is back on stable. */
  private ejectionEvaluation: Evaluation | null = null;

  constructor(
    private readonly plan: RolloutPlan,
    private readonly deps: RolloutDeps,
  ) {
    this.steps = plan.steps.map((s) => ({ name: s.name, trafficPercentage: s.trafficPercentage, durationMs: 0, status: 'not_started' }));
    this.intervalMs = Math.max(1, toMs(deps.analysis.interval));
    this.heartbeatEveryMs = Math.max(1, Math.floor(deps.deadmanMs / 3));
  }

  async run(): Promise<RolloutOutcome> {
    this.throwIfAborted();
    const { traffic, rolloutId } = this.deps;
    await traffic.beginRollout({ id: rolloutId, stable: this.plan.stable, candidate: this.plan.candidate, deadmanMs: this.deps.deadmanMs });
    this.weights = await traffic.currentWeights();
    const last = this.plan.steps.length - 1;
    for (let i = 0; i <= last && this.failure === null; i++) {
      if (this.jumpToFull && i < last) this.steps[i]!.status = 'skipped';
      else await this.runStep(i);
    }
    // The dead-man switch guards traffic during the steps; it must not move traffic back to a stable being stopped.
    await traffic.endRollout(rolloutId);
    if (this.failure === null) await this.runFinish();
    return this.outcome();
  }

  private async runStep(index: number): Promise<void> {
    const step = this.plan.steps[index]!;
    const startedAt = this.now();
    this.current = step.name;
    this.promoted = false;
    await this.emit({ type: 'rollout:step', step: step.name, status: 'started', trafficPercentage: step.trafficPercentage, weights: weightsSetBy(step.actions) ?? { ...this.weights }, durationMs: 0 });
    try {
      await this.runActions(step);
      if (this.failure === null) await this.watch(step);
    } catch (err) {
      if (!(err instanceof InstancesFailed)) {
        await this.finishStep(index, startedAt, 'failed');
        throw err;
      }
      this.failure ??= `instances of ${err.version} failed in step ${step.name}: ${err.message}`;
      await this.revertTraffic();
    }
    await this.finishStep(index, startedAt, this.failure === null ? 'healthy' : 'failed');
  }

  private async finishStep(index: number, startedAt: number, status: 'healthy' | 'failed'): Promise<void> {
    const record = this.steps[index]!;
    record.durationMs = this.now() - startedAt;
    record.status = status;
    const { name, trafficPercentage, durationMs } = record;
    await this.emit({ type: 'rollout:step', step: name, status: status === 'healthy' ? 'finished' : 'failed', trafficPercentage, weights: { ...this.weights }, durationMs });
  }

  /** Runs the step's actions in order, heartbeating while each one is under way. */
  private async runActions(step: PlanStep): Promise<void> {
    for (const action of step.actions) {
      this.throwIfAborted();
      await this.whileHeartbeating(this.act(action, `step ${step.name}`));
      // A failure heard during an action is acted on once the action is done, so the revert's weights land last.
      if (this.failure !== null) return this.revertTraffic();
    }
  }

  private async runFinish(): Promise<void> {
    for (const action of this.plan.finish ?? []) {
      this.throwIfAborted();
      await this.act(action, 'finish');
    }
  }

  private async act(action: RolloutAction, reason: string): Promise<void> {
    const { traffic } = this.deps;
    switch (action.type) {
      case 'ensure':
        await traffic.ensureInstances(action.version, action.count, this.deps.signal);
        return;
      case 'weights':
        await traffic.setWeights(action.weights);
        this.weights = { ...action.weights };
        return this.emit({ type: 'rollout:weights', weights: { ...action.weights }, reason });
      case 'stop':
        return traffic.stopVersion(action.version);
      case 'keepWarm':
        return traffic.keepWarm(action.version, this.now() + (this.deps.keepWarmMs ?? DEFAULT_KEEP_WARM_MS));
    }
  }

  /** Waits out the step's pause in ticks: heartbeat and commands every tick, analysis every interval. */
  private async watch(step: PlanStep): Promise<void> {
    let left = step.pauseMs === 'manual' ? Infinity : step.pauseMs;
    let lastEvaluation = this.now();
    let counted = this.now();
    while (this.failure === null && !this.promoted && (left > 0 || this.pausedBy !== null)) {
      const signals = await this.waitForSignals(this.nextWait(step, left, lastEvaluation));
      // The pause clock counts all time since the last tick (slow calls included), unless the rollout is paused.
      if (this.pausedBy === null) left -= this.now() - counted;
      counted = this.now();
      await this.applySignals(signals);
      if (this.failure !== null) return this.revertTraffic();
      // A promote received in this heartbeat ends the step now: no evaluation may pause it again.
      if (this.promoted) return;
      if (step.analyse && this.isEvaluationDue(lastEvaluation, left)) {
        lastEvaluation = this.now();
        await this.evaluateStep(step);
      }
    }
  }

  private nextWait(step: PlanStep, left: number, lastEvaluation: number): number {
    const untilEvaluation = step.analyse ? lastEvaluation + this.intervalMs - this.now() : Infinity;
    return Math.max(0, Math.min(this.heartbeatEveryMs, untilEvaluation, this.pausedBy === null ? left : Infinity));
  }

  /** Every interval, and once more when the pause ends between two intervals. */
  private isEvaluationDue(lastEvaluation: number, left: number): boolean {
    const elapsed = this.now() - lastEvaluation;
    return elapsed >= this.intervalMs || (left <= 0 && this.pausedBy === null && elapsed > 0);
  }

  /**
   * One evaluation. Deliberately not heartbeating meanwhile: a driver that cannot
   * finish an evaluation within the dead-man time is not watching the candidate,
   * and the agent should put traffic back on stable.
   */
  private async evaluateStep(step: PlanStep): Promise<void> {
    const { analysis } = this.deps;
    const evaluation = evaluate(analysis, await this.gather(step));
    this.evaluations.push(evaluation);
    if (evaluation.verdict === 'fail' || (evaluation.verdict === 'inconclusive' && analysis.onInconclusive === 'fail')) this.failures++;
    const tipped = this.failure === null && this.failures >= analysis.failureLimit;
    if (tipped) {
      this.failure = `analysis failed ${this.failures} times (failureLimit ${analysis.failureLimit}), last in step ${step.name}: ${evaluation.reasons.join('; ')}`;
      await this.setRevertWeights();
    }
    await this.emit({ type: 'rollout:evaluation', evaluation, failures: this.failures, failureLimit: analysis.failureLimit });
    if (tipped) return this.emitRevertWeights();
    if (evaluation.verdict === 'inconclusive' && analysis.onInconclusive === 'pause') await this.pause('inconclusive');
  }

  /** Router figures over one window for the candidate and stable, and probes of the candidate's instances. */
  private async gather(step: PlanStep): Promise<EvaluationInput> {
    const { traffic, analysis } = this.deps;
    const windowMs = this.deps.windowMs ?? this.intervalMs;
    const candidate = await traffic.stats(this.plan.candidate, windowMs);
    const stable = this.plan.stable === null ? null : await traffic.stats(this.plan.stable, windowMs);
    const probes = analysis.probe ? await traffic.probe(this.plan.candidate, { viaHeader: step.viaHeader }) : [];
    return { step: step.name, candidate, stable, probes, at: new Date(this.now()).toISOString() };
  }

  /**
   * Waits `ms` for the next tick and heartbeats. With a traffic control that can
   * hold a heartbeat (`waitForSignals`), the wait ends the moment there is a
   * signal: an ejection of the candidate is acted on at once, not at the next tick.
   */
  private async waitForSignals(ms: number): Promise<RolloutSignals> {
    const { traffic, rolloutId, signal, clock } = this.deps;
    if (traffic.waitForSignals === undefined) {
      await clock.sleep(ms, signal);
      return traffic.heartbeat(rolloutId);
    }
    this.throwIfAborted();
    try {
      return await traffic.waitForSignals(rolloutId, ms, signal);
    } catch (err) {
      this.throwIfAborted();
      throw err;
    }
  }

  private async heartbeat(): Promise<void> {
    await this.applySignals(await this.deps.traffic.heartbeat(this.deps.rolloutId));
  }

  private async applySignals(signals: RolloutSignals): Promise<void> {
    if (signals.abortedByDeadman) this.failure ??= DEADMAN_REASON;
    if (signals.ejection && signals.ejection.version === this.plan.candidate) this.onEjection(signals.ejection);
    for (const command of signals.commands) await this.applyCommand(command);
  }

  /**
   * The router ejected the candidate: its answers failed `ejectAfter` times in a
   * row. That fails the rollout at once (the caller reverts in the same tick);
   * the evaluation it amounts to is journaled after the revert's weights are set.
   */
  private onEjection(e: RouterEjection): void {
    if (this.failure !== null) return;
    const evaluation = evaluate(this.deps.analysis, { step: this.current, candidate: { ...e.stats, ejected: true }, stable: null, probes: [], at: e.at });
    this.evaluations.push(evaluation);
    this.failures++;
    this.ejectionEvaluation = evaluation;
    this.failure = `${evaluation.reasons.join('; ')}; the rollout failed at once, in step ${this.current}`;
  }

  private async emitEjectionEvaluation(): Promise<void> {
    const evaluation = this.ejectionEvaluation;
    if (evaluation === null) return;
    this.ejectionEvaluation = null;
    await this.emit({ type: 'rollout:evaluation', evaluation, failures: this.failures, failureLimit: this.deps.analysis.failureLimit });
  }

  private async applyCommand(command: RolloutCommand): Promise<void> {
    await this.emit({ type: 'rollout:command', command, step: this.current });
    switch (command) {
      case 'promote':
        this.promoted = true;
        // A person chose to go on: that also ends a pause (theirs, or one an inconclusive window caused).
        return this.resume();
      case 'promote-full':
        this.promoted = true;
        this.jumpToFull = true;
        return this.resume();
      case 'abort':
        this.failure ??= ABORT_COMMAND_REASON;
        return;
      case 'pause':
        return this.pause('command');
      case 'resume':
        return this.resume();
    }
  }

  private async pause(reason: 'command' | 'inconclusive'): Promise<void> {
    if (this.pausedBy !== null) return;
    this.pausedBy = reason;
    await this.emit({ type: 'rollout:paused', step: this.current, reason });
  }

  private async resume(): Promise<void> {
    if (this.pausedBy === null) return;
    this.pausedBy = null;
    await this.emit({ type: 'rollout:resumed', step: this.current });
  }

  /** Heartbeats every third of the dead-man time while `work` (starting instances, draining) is under way. */
  private async whileHeartbeating<T>(work: Promise<T>): Promise<T> {
    const stop = new AbortController();
    const beats = this.beatUntil(stop.signal).then(
      () => null,
      (err: unknown) => ({ err }),
    );
    const settled: Settled<T> = await work.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    stop.abort();
    const beatFailure = await beats;
    if ('error' in settled) throw settled.error;
    if (beatFailure !== null) throw beatFailure.err;
    return settled.value;
  }

  private async beatUntil(stop: AbortSignal): Promise<void> {
    const signal = this.deps.signal ? AbortSignal.any([stop, this.deps.signal]) : stop;
    for (;;) {
      try {
        await this.deps.clock.sleep(this.heartbeatEveryMs, signal);
      } catch {
        return; // stopped (the work is done) or cancelled (the work sees the same signal)
      }
      await this.heartbeat();
    }
  }

  private async revertTraffic(): Promise<void> {
    const set = await this.setRevertWeights();
    await this.emitEjectionEvaluation();
    if (set) await this.emitRevertWeights();
  }

  /** The revert's leading weights, before anything else; once. False when there are none to set (first deployment) or they were set already. */
  private async setRevertWeights(): Promise<boolean> {
    const weights = this.revertWeights();
    if (weights === null || this.revertedAt !== null) return false;
    await this.deps.traffic.setWeights(weights);
    this.revertedAt = this.now();
    this.weights = { ...weights };
    return true;
  }

  private async emitRevertWeights(): Promise<void> {
    await this.emit({ type: 'rollout:weights', weights: { ...this.weights }, reason: `revert: ${this.failure ?? 'failed'}` });
  }

  private revertWeights(): Record<string, number> | null {
    const first = this.plan.revert[0];
    return first?.type === 'weights' ? first.weights : null;
  }

  private outcome(): RolloutOutcome {
    return {
      status: this.failure === null ? 'succeeded' : 'failed',
      reason: this.failure,
      steps: this.steps.map((s) => ({ ...s })),
      evaluations: [...this.evaluations],
      revertedAt: this.revertedAt,
    };
  }

  private throwIfAborted(): void {
    if (this.deps.signal?.aborted) throw abortReason(this.deps.signal);
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private async emit(event: RolloutEvent): Promise<void> {
    await this.deps.onEvent?.(event);
  }
}
