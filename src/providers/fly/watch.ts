import type { AnalysisConfig } from '../../config/schema/index.js';
import { toMs } from '../../config/duration.js';
import { evaluate } from '../../rollout/analysis.js';
import type { Evaluation, InstanceProbe, MetricsSource, RolloutCommand, VersionStats } from '../../rollout/contract.js';
import type { Clock } from '../../runtime/clock.js';
import type { FlyMachine } from './client.js';
import { criticalChecks } from './machine-config.js';

/** Pure: the machines' checks as probes of the new version (a critical check fails its machine). */
export function checkProbes(machines: readonly FlyMachine[], version: string): InstanceProbe[] {
  return machines.map((m) => {
    const critical = criticalChecks(m);
    const ok = m.state === 'started' && critical.length === 0;
    const reason = ok ? 'all checks passing' : m.state !== 'started' ? `machine is ${m.state}` : `critical checks: ${critical.join(', ')}`;
    return { instanceId: m.id, version, ok, status: null, ms: null, reason };
  });
}

/** Figures when no metrics source is configured: no requests, so only the checks can fail a window. */
export function noStats(version: string, windowMs: number): VersionStats {
  return { version, windowMs, requests: 0, errors5xx: 0, connErrors: 0, errorRate: 0, p50: null, p95: null, p99: null };
}

export interface WatchDeps {
  clock: Clock;
  analysis: AnalysisConfig;
  metrics: MetricsSource | null;
  /** The new version's machines as they are now. */
  machines: () => Promise<FlyMachine[]>;
  /** Sends a request to each of those machines (Fly's proxy, `fly-force-instance-id`); absent: only their checks probe them. */
  probe?: (machines: FlyMachine[]) => Promise<InstanceProbe[]>;
  /** Called every tick (lease refresh). */
  tick: () => Promise<void>;
  onEvaluation: (e: Evaluation, failures: number) => Promise<void>;
  signal?: AbortSignal;
}

export interface WatchResult {
  /** Why the step failed; null when it passed. */
  failure: string | null;
  evaluations: Evaluation[];
}

/** What a person asked the running rollout for, through the rollout session (the store's, on Fly.io). */
export interface StepSession {
  /** Commands received since the last look, oldest first. */
  take(): Promise<{ command: RolloutCommand; by: string; seq?: number }[]>;
  /** How often the session is looked at while a step is watched. */
  pollMs: number;
  /** Journals what the rollout did (`rollout:command`, `rollout:paused`, `rollout:resumed`). */
  emit(type: 'rollout:command' | 'rollout:paused' | 'rollout:resumed', data: Record<string, unknown>): Promise<void>;
}

/** Held across the steps of one rollout: a pause outlives the step it began in. */
export interface SessionState {
  pausedBy: 'command' | 'inconclusive' | null;
  /** `promote --full`: the steps between here and the last are skipped. */
  jumpToFull: boolean;
}

/** Why a step ended early by a person's hand (the record's reason). */
export const FLY_ABORT_REASON = 'aborted by a person (shipgate abort)';

/**
 * Watches a step for `pauseMs` (until promoted, for `manual`): every analysis
 * interval, the new machines' checks (as probes) and the metrics source's
 * figures go through the same verdicts as the local provider's; `failureLimit`
 * failed windows fail the step. With a session, a person's commands are taken
 * every `pollMs`: promote ends the step, abort fails it, pause holds it (analysis
 * goes on) until resume or promote.
 */
export async function watchStep(
  step: string,
  version: string,
  pauseMs: number | 'manual',
  deps: WatchDeps & { session?: StepSession; state?: SessionState },
  failuresSoFar = 0,
): Promise<WatchResult & { failures: number }> {
  const intervalMs = Math.max(1, toMs(deps.analysis.interval));
  const state = deps.state ?? { pausedBy: null, jumpToFull: false };
  const started = deps.clock.now();
  const end = pauseMs === 'manual' ? Infinity : started + pauseMs;
  const evaluations: Evaluation[] = [];
  let failures = failuresSoFar;
  let nextEval = started + intervalMs;
  let lastEval = -Infinity;
  const result = (failure: string | null): WatchResult & { failures: number } => ({ failure, evaluations, failures });
  const setPause = async (by: SessionState['pausedBy']): Promise<void> => {
    if (state.pausedBy === by) return;
    const was = state.pausedBy;
    state.pausedBy = by;
    if (by !== null && was === null) await deps.session?.emit('rollout:paused', { step, reason: by });
    if (by === null) await deps.session?.emit('rollout:resumed', { step });
  };
  for (;;) {
    // Every command taken is acted on and journaled, in order, even past one that ends the step
    // (a pause after a promote holds the next step); an abort wins over a promote.
    let ends: 'pass' | 'abort' | null = null;
    for (const c of deps.session ? await deps.session.take() : []) {
      await deps.session!.emit('rollout:command', { command: c.command, step, by: c.by, ...(c.seq === undefined ? {} : { requestSeq: c.seq }) });
      switch (c.command) {
        case 'abort':
          ends = 'abort';
          break;
        case 'promote-full':
          state.jumpToFull = true;
          ends ??= 'pass';
          await setPause(null);
          break;
        case 'promote':
          // A person chose to go on: that also ends a pause (theirs, or one an inconclusive window caused).
          ends ??= 'pass';
          await setPause(null);
          break;
        case 'pause':
          await setPause('command');
          break;
        case 'resume':
          await setPause(null);
          break;
      }
    }
    if (ends === 'abort') return result(FLY_ABORT_REASON);
    if (ends === 'pass') return result(null);
    // Leases are refreshed when due, however long a step is held.
    await deps.tick();
    const now = deps.clock.now();
    const stepEnd = state.pausedBy === null ? end : Infinity;
    // Resumed after the step's time: it was watched to its end already.
    if (now >= stepEnd && lastEval >= end) return result(null);
    if (now >= Math.min(nextEval, stepEnd)) {
      const evaluation = await evaluateOnce(step, version, intervalMs, deps);
      lastEval = now;
      nextEval = now + intervalMs;
      evaluations.push(evaluation);
      const failed = evaluation.verdict === 'fail' || (evaluation.verdict === 'inconclusive' && deps.analysis.onInconclusive === 'fail');
      if (failed) failures++;
      await deps.onEvaluation(evaluation, failures);
      if (failures >= deps.analysis.failureLimit) {
        return result(`analysis failed ${failures} times (failureLimit ${deps.analysis.failureLimit}), last in step ${step}: ${evaluation.reasons.join('; ')}`);
      }
      if (evaluation.verdict === 'inconclusive' && deps.analysis.onInconclusive === 'pause' && deps.session) await setPause(state.pausedBy ?? 'inconclusive');
      if (now >= stepEnd && state.pausedBy === null) return result(null);
      continue;
    }
    const wake = Math.min(nextEval, stepEnd, deps.session ? now + deps.session.pollMs : Infinity);
    await deps.clock.sleep(Math.max(1, wake - now), deps.signal);
  }
}

async function evaluateOnce(step: string, version: string, windowMs: number, deps: WatchDeps): Promise<Evaluation> {
  const candidate = deps.metrics ? await deps.metrics.stats(version, windowMs) : noStats(version, windowMs);
  const probes: InstanceProbe[] = [];
  if (deps.analysis.probe) {
    const machines = await deps.machines();
    probes.push(...checkProbes(machines, version), ...(deps.probe ? await deps.probe(machines) : []));
  }
  return evaluate(deps.analysis, { step, candidate, stable: null, probes, at: new Date(deps.clock.now()).toISOString() });
}
