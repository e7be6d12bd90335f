import type { InstanceInfo, InstanceProbe, VersionStats } from '../../rollout/contract.js';

/** Figures a test scripts for a version; the rest are derived (errorRate) or defaulted. */
export type StatsFigures = Partial<Pick<VersionStats, 'requests' | 'errors5xx' | 'connErrors' | 'p50' | 'p95' | 'p99'>>;

/** Fixed figures, or figures as a function of the clock and the window asked for. */
export type StatsScript = StatsFigures | ((now: number, windowMs: number) => StatsFigures);

/** What a probe of one instance answers. */
export interface ProbeAnswer {
  ok: boolean;
  status?: number | null;
  ms?: number | null;
  reason?: string;
}

/** One answer for every instance, or an answer per instance and time. */
export type ProbeScript = ProbeAnswer | ((instance: InstanceInfo, now: number) => ProbeAnswer);

/** Healthy traffic: the version's share of `requestsPerSecond` over the window, no errors, fast. */
export function defaultFigures(weight: number, requestsPerSecond: number, windowMs: number): StatsFigures {
  return { requests: Math.round((requestsPerSecond * windowMs * weight) / 100_000), errors5xx: 0, connErrors: 0, p50: 20, p95: 50, p99: 80 };
}

export function toStats(version: string, windowMs: number, base: StatsFigures, scripted: StatsFigures): VersionStats {
  const f = { ...base, ...scripted };
  const requests = f.requests ?? 0;
  const errors5xx = f.errors5xx ?? 0;
  const connErrors = f.connErrors ?? 0;
  const latency = (v: number | null | undefined): number | null => (requests === 0 ? null : (v ?? null));
  return { version, windowMs, requests, errors5xx, connErrors, errorRate: requests === 0 ? 0 : (errors5xx + connErrors) / requests, p50: latency(f.p50), p95: latency(f.p95), p99: latency(f.p99) };
}

export function toProbe(instance: InstanceInfo, answer: ProbeAnswer): InstanceProbe {
  const status = answer.status === undefined ? (answer.ok ? 200 : 500) : answer.status;
  const reason = answer.reason ?? (status === null ? 'no answer' : `HTTP ${status}`);
  return { instanceId: instance.id, version: instance.version, ok: answer.ok, status, ms: answer.ms === undefined ? 5 : answer.ms, reason };
}
