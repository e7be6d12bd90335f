import type { AnalysisConfig } from '../../config/schema/index.js';
import { toMs } from '../../config/duration.js';
import { evaluate } from '../../rollout/analysis.js';
import type { Evaluation, InstanceProbe, MetricsSource, VersionStats } from '../../rollout/contract.js';
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

/**
 * Watches a step for `pauseMs`: every analysis interval, the new machines'
 * checks (as probes) and the metrics source's figures go through the same
 * verdicts as the local provider's; `failureLimit` failed windows fail the step.
 */
export async function watchStep(step: string, version: string, pauseMs: number, deps: WatchDeps, failuresSoFar = 0): Promise<WatchResult & { failures: number }> {
  const intervalMs = Math.max(1, toMs(deps.analysis.interval));
  const end = deps.clock.now() + pauseMs;
  const evaluations: Evaluation[] = [];
  let failures = failuresSoFar;
  for (;;) {
    const left = end - deps.clock.now();
    if (left <= 0) return { failure: null, evaluations, failures };
    await deps.clock.sleep(Math.min(intervalMs, left), deps.signal);
    await deps.tick();
    const evaluation = await evaluateOnce(step, version, intervalMs, deps);
    evaluations.push(evaluation);
    const failed = evaluation.verdict === 'fail' || (evaluation.verdict === 'inconclusive' && deps.analysis.onInconclusive === 'fail');
    if (failed) failures++;
    await deps.onEvaluation(evaluation, failures);
    if (failures >= deps.analysis.failureLimit) {
      return { failure: `analysis failed ${failures} times (failureLimit ${deps.analysis.failureLimit}), last in step ${step}: ${evaluation.reasons.join('; ')}`, evaluations, failures };
    }
  }
}

async function evaluateOnce(step: string, version: string, windowMs: number, deps: WatchDeps): Promise<Evaluation> {
  const candidate = deps.metrics ? await deps.metrics.stats(version, windowMs) : noStats(version, windowMs);
  const probes = deps.analysis.probe ? checkProbes(await deps.machines(), version) : [];
  return evaluate(deps.analysis, { step, candidate, stable: null, probes, at: new Date(deps.clock.now()).toISOString() });
}
