/** Shared fixtures for rollout tests: configs, a controller run on a fake clock and memory traffic. */
import { AnalysisSchema, RolloutSchema, type AnalysisConfig, type RolloutConfig } from '../../../src/config/schema/rollout.js';
import { createMemoryTraffic, type MemoryCall, type MemoryTraffic } from '../../../src/providers/memory/index.js';
import type { InstanceProbe, VersionStats } from '../../../src/rollout/contract.js';
import { runRollout, type RolloutDeps, type RolloutOutcome } from '../../../src/rollout/controller.js';
import type { RolloutEvent } from '../../../src/rollout/events.js';
import { planRollout } from '../../../src/rollout/plan.js';
import { FakeClock } from '../../../src/runtime/clock.js';

export const T0 = Date.parse('2026-11-23T17:00:00.000Z');
export const SEC = 1000;
export const MIN = 60_000;

export function rolloutConfig(doc: Record<string, unknown> = {}): RolloutConfig {
  return RolloutSchema.parse(doc);
}

export function analysisConfig(doc: Record<string, unknown> = {}): AnalysisConfig {
  return AnalysisSchema.parse(doc);
}

export function stats(version: string, figures: { requests: number; errors?: number; conn?: number; p95?: number | null; windowMs?: number }): VersionStats {
  const errors5xx = figures.errors ?? 0;
  const connErrors = figures.conn ?? 0;
  const requests = figures.requests;
  const p95 = requests === 0 ? null : (figures.p95 ?? 100);
  return { version, windowMs: figures.windowMs ?? 10 * SEC, requests, errors5xx, connErrors, errorRate: requests === 0 ? 0 : (errors5xx + connErrors) / requests, p50: p95, p95, p99: p95 };
}

export function probe(instanceId: string, ok: boolean, reason = ok ? 'HTTP 200' : 'HTTP 503'): InstanceProbe {
  return { instanceId, version: instanceId.split('-')[0]!, ok, status: ok ? 200 : 503, ms: 4, reason };
}

export interface Harness {
  clock: FakeClock;
  traffic: MemoryTraffic;
  events: RolloutEvent[];
  deps: RolloutDeps;
  cfg: RolloutConfig;
  start: () => Promise<RolloutOutcome>;
}

export interface HarnessOptions {
  config?: Record<string, unknown>;
  stable?: string | null;
  candidate?: string;
  instances?: number;
  deadmanMs?: number;
  signal?: AbortSignal;
  keepWarmMs?: number;
  /** Memory traffic offers `waitForSignals` (a held heartbeat), as the agent does. */
  longPoll?: boolean;
}

/** A plan of `config` for v1 -> v2, memory traffic with v1 serving everything, and a run waiting to start. */
export function harness(opts: HarnessOptions = {}): Harness {
  const clock = new FakeClock(T0);
  const cfg = rolloutConfig(opts.config);
  const stable = opts.stable === undefined ? 'v1' : opts.stable;
  const candidate = opts.candidate ?? 'v2';
  const instances = opts.instances ?? 3;
  const traffic = createMemoryTraffic({ clock, versions: stable ? { [stable]: instances } : {}, weights: stable ? { [stable]: 100 } : {}, longPoll: opts.longPoll });
  const events: RolloutEvent[] = [];
  const deps: RolloutDeps = {
    traffic,
    clock,
    analysis: cfg.analysis,
    rolloutId: 'ro_1',
    deadmanMs: opts.deadmanMs ?? 30 * SEC,
    instances,
    signal: opts.signal,
    keepWarmMs: opts.keepWarmMs,
    onEvent: (e) => {
      events.push(e);
    },
  };
  const plan = planRollout(cfg, { stable, candidate, instances });
  return { clock, traffic, events, deps, cfg, start: () => runRollout(plan, deps) };
}

/** Runs the rollout to its end by moving the fake clock up to `ms`. */
export async function runFor(h: Harness, ms: number): Promise<RolloutOutcome> {
  const outcome = h.start();
  await h.clock.advance(ms);
  return outcome;
}

/** Calls as `{ t, method, args }` with t relative to T0, leaving out the ones named. */
export function timeline(calls: MemoryCall[], omit: string[] = ['heartbeat', 'stats', 'probe']): { t: number; method: string; args: unknown[] }[] {
  return calls.filter((c) => !omit.includes(c.method)).map((c) => ({ t: c.at - T0, method: c.method, args: c.args }));
}

export function times(calls: MemoryCall[], method: string, firstArg?: unknown): number[] {
  return calls.filter((c) => c.method === method && (firstArg === undefined || c.args[0] === firstArg)).map((c) => c.at - T0);
}

/** Tracks settlement of a promise without awaiting it. */
export function watch<T>(p: Promise<T>): { state: () => 'pending' | 'resolved' | 'rejected' } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return { state: () => state };
}
