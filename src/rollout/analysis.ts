import type { AnalysisConfig } from '../config/schema/rollout.js';
import { toMs } from '../config/duration.js';
import type { Evaluation, InstanceProbe, Verdict, VersionStats } from './contract.js';

/** The p95 limit when `analysis.maxP95` is not set: the runbooks' "P95 < 3s" target. */
export const DEFAULT_MAX_P95_MS = 3000;

/** What one evaluation looks at. */
export interface EvaluationInput {
  step: string;
  candidate: VersionStats;
  stable: VersionStats | null;
  probes: InstanceProbe[];
  /** ISO time of the evaluation. */
  at: string;
}

interface Check {
  failed: boolean;
  reason: string;
}

/**
 * The verdict on the candidate for one window. A failed probe fails at once,
 * and so does a candidate the router ejected (its answers failed so often in
 * a row that the router stopped sending it traffic: the window may be short
 * of requests for that very reason); otherwise too few requests make the
 * window inconclusive; otherwise the error rate, the p95 and (optionally) the
 * comparison with stable decide.
 */
export function evaluate(cfg: AnalysisConfig, input: EvaluationInput): Evaluation {
  const probeFailures = cfg.probe ? input.probes.filter((p) => !p.ok).map(probeReason) : [];
  const result = (verdict: Verdict, reasons: string[]): Evaluation => ({ at: input.at, step: input.step, verdict, reasons, candidate: input.candidate, stable: input.stable, probes: input.probes });
  if (input.candidate.ejected === true) return result('fail', [...probeFailures, ejectedReason(input.candidate)]);
  if (input.candidate.requests < cfg.minRequests) {
    if (probeFailures.length > 0) return result('fail', probeFailures);
    return result('inconclusive', [tooFewRequests(input.candidate, cfg.minRequests)]);
  }
  const checks = [errorRateCheck(input.candidate, cfg.maxErrorRate), p95Check(input.candidate, maxP95Ms(cfg)), ...stableChecks(cfg, input)];
  const failed = [...probeFailures, ...checks.filter((c) => c.failed).map((c) => c.reason)];
  if (failed.length > 0) return result('fail', failed);
  return result('pass', [...checks.map((c) => c.reason), ...stableSkippedReason(cfg, input)]);
}

export function maxP95Ms(cfg: AnalysisConfig): number {
  return cfg.maxP95 === undefined ? DEFAULT_MAX_P95_MS : toMs(cfg.maxP95);
}

function probeReason(p: InstanceProbe): string {
  return `probe of instance ${p.instanceId} (${p.version}) failed: ${p.reason}`;
}

function ejectedReason(s: VersionStats): string {
  return `the router ejected ${s.version}: its answers failed again and again in a row (error rate ${percent(s.errorRate)}, ${s.errors5xx + s.connErrors} of ${s.requests} requests in the last ${seconds(s.windowMs)})`;
}

function tooFewRequests(s: VersionStats, minRequests: number): string {
  return `only ${s.requests} request${s.requests === 1 ? '' : 's'} to ${s.version} in the last ${seconds(s.windowMs)} (fewer than ${minRequests}), so this window is inconclusive`;
}

function errorRateCheck(s: VersionStats, max: number): Check {
  const figures = `error rate ${percent(s.errorRate)} (${s.errors5xx + s.connErrors} of ${s.requests} requests)`;
  return s.errorRate > max ? { failed: true, reason: `${figures} is above ${percent(max)}` } : { failed: false, reason: `${figures} is within ${percent(max)}` };
}

function p95Check(s: VersionStats, maxMs: number): Check {
  if (s.p95 === null) return { failed: false, reason: 'no p95 latency measured' };
  const figures = `p95 latency ${ms(s.p95)}`;
  return s.p95 > maxMs ? { failed: true, reason: `${figures} is above ${ms(maxMs)}` } : { failed: false, reason: `${figures} is within ${ms(maxMs)}` };
}

function isComparable(cfg: AnalysisConfig, stable: VersionStats | null): boolean {
  return cfg.compareToStable !== undefined && stable !== null && stable.requests >= cfg.minRequests;
}

function stableChecks(cfg: AnalysisConfig, input: EvaluationInput): Check[] {
  const margins = cfg.compareToStable;
  const s = input.stable;
  if (!margins || s === null || !isComparable(cfg, s)) return [];
  const c = input.candidate;
  const checks: Check[] = [];
  const rateIncrease = c.errorRate - s.errorRate;
  const rateFigures = `error rate ${percent(c.errorRate)} is ${points(rateIncrease)} ${rateIncrease >= 0 ? 'above' : 'below'} stable's ${percent(s.errorRate)}`;
  checks.push({ failed: rateIncrease > margins.maxErrorRateIncrease, reason: `${rateFigures} (${rateIncrease > margins.maxErrorRateIncrease ? 'more than' : 'allowed:'} ${points(margins.maxErrorRateIncrease)})` });
  if (margins.maxP95Increase !== undefined && c.p95 !== null && s.p95 !== null) {
    const allowed = toMs(margins.maxP95Increase);
    const increase = c.p95 - s.p95;
    const figures = `p95 latency ${ms(c.p95)} is ${ms(Math.abs(increase))} ${increase >= 0 ? 'above' : 'below'} stable's ${ms(s.p95)}`;
    checks.push({ failed: increase > allowed, reason: `${figures} (${increase > allowed ? 'more than' : 'allowed:'} ${ms(allowed)})` });
  }
  return checks;
}

function stableSkippedReason(cfg: AnalysisConfig, input: EvaluationInput): string[] {
  if (!cfg.compareToStable || isComparable(cfg, input.stable)) return [];
  if (input.stable === null) return ['no stable version to compare with'];
  return [`stable ${input.stable.version} had only ${input.stable.requests} requests (fewer than ${cfg.minRequests}), so it was not compared`];
}

/** 0.2 -> "20.0%". */
export function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

/** A difference of rates in percentage points: 0.04 -> "4.0 points". */
function points(delta: number): string {
  return `${Math.abs(delta * 100).toFixed(1)} points`;
}

function ms(value: number): string {
  return `${Math.round(value)}ms`;
}

function seconds(windowMs: number): string {
  return windowMs % 1000 === 0 ? `${windowMs / 1000}s` : `${windowMs}ms`;
}
