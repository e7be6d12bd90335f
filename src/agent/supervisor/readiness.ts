import { probeOnce } from '../../health/probe.js';
import type { Clock } from '../../runtime/clock.js';
import type { HttpClient } from '../../runtime/http.js';
import type { VersionSpec } from '../contract.js';

/**
 * The readiness state machine of one running process. Pure: the supervisor
 * probes, then feeds each result here with the time it was taken.
 *
 *   starting --ok--> ready --N failures in a row--> unhealthy --ok--> ready
 *   starting --no ok within grace--> (failed: the process is stopped)
 */

export const DEFAULT_UNHEALTHY_AFTER = 3;

export type ReadinessPhase = 'starting' | 'ready' | 'unhealthy';

export interface ReadinessState {
  phase: ReadinessPhase;
  /** Failed probes in a row. */
  failures: number;
  /** When the process started (grace counts from here). */
  since: number;
  /** Reason of the last failed probe, for messages. */
  lastReason: string | null;
}

export type ReadinessEvent = 'ready' | 'unhealthy' | 'recovered' | 'grace-expired';

export interface ReadinessRule {
  graceMs: number;
  /** Failed probes in a row that make a ready instance unhealthy. */
  unhealthyAfter: number;
}

export function initialReadiness(since: number, phase: ReadinessPhase = 'starting'): ReadinessState {
  return { phase, failures: 0, since, lastReason: null };
}

/** Applies one probe result. `event` says what changed, if anything. */
export function onProbe(s: ReadinessState, ok: boolean, reason: string, now: number, rule: ReadinessRule): { state: ReadinessState; event: ReadinessEvent | null } {
  if (ok) {
    const next: ReadinessState = { ...s, phase: 'ready', failures: 0, lastReason: null };
    const event = s.phase === 'starting' ? 'ready' : s.phase === 'unhealthy' ? 'recovered' : null;
    return { state: next, event };
  }
  const failed: ReadinessState = { ...s, failures: s.failures + 1, lastReason: reason };
  if (s.phase === 'starting') return { state: failed, event: now - s.since >= rule.graceMs ? 'grace-expired' : null };
  if (s.phase === 'ready' && failed.failures >= rule.unhealthyAfter) return { state: { ...failed, phase: 'unhealthy' }, event: 'unhealthy' };
  return { state: failed, event: null };
}

/** `http://127.0.0.1:<port><path>`: instances are probed directly, never through the router. */
export function readinessUrl(port: number, path: string): string {
  return `http://127.0.0.1:${port}${path}`;
}

/** One readiness probe of one instance. Never throws for network errors. */
export async function probeReadiness(port: number, readiness: VersionSpec['readiness'], deps: { http: HttpClient; clock: Clock; signal?: AbortSignal }): Promise<{ ok: boolean; reason: string }> {
  const r = await probeOnce(readinessUrl(port, readiness.path), readiness.timeoutMs, readiness.expect, deps);
  return { ok: r.healthy, reason: r.reason };
}
