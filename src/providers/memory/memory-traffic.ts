import type { Clock } from '../../runtime/clock.js';
import {
  InstancesFailed,
  type InstanceInfo,
  type InstanceProbe,
  type ProbeOptions,
  type RolloutCommand,
  type RolloutRegistration,
  type RolloutSignals,
  type RouterEjection,
  type TrafficControl,
  type VersionStats,
} from '../../rollout/contract.js';
import { defaultFigures, toProbe, toStats, type ProbeScript, type StatsScript } from './memory-stats.js';

/** Healthy default traffic for stats nobody scripted. */
export const DEFAULT_REQUESTS_PER_SECOND = 100;

export interface MemoryTrafficOptions {
  clock: Clock;
  /** Instances already running, per version. */
  versions?: Record<string, number>;
  /** The split in effect at the start. */
  weights?: Record<string, number>;
  /** Requests per second the router receives (split by weight) for unscripted stats. @default DEFAULT_REQUESTS_PER_SECOND */
  requestsPerSecond?: number;
  /** Offer `waitForSignals` (a held heartbeat, as the agent does); without it the driver sleeps, then heartbeats. @default false */
  longPoll?: boolean;
}

/** Window of the figures an ejection carries (as the router sends them). */
export const EJECTION_WINDOW_MS = 10_000;

/** One call a client made, at the clock time it was made. */
export interface MemoryCall {
  at: number;
  method: string;
  args: unknown[];
}

export interface MemoryRollout extends RolloutRegistration {
  state: 'active' | 'aborted_by_deadman' | 'ended';
  lastHeartbeatAt: number;
  /** When the dead-man switch fired (the last heartbeat plus deadmanMs). */
  abortedAt: number | null;
}

/** What a test reads without adding to the call log. */
export interface MemorySnapshot {
  weights: Record<string, number>;
  counts: Record<string, number>;
  warmUntil: Record<string, number>;
  rollout: MemoryRollout | null;
}

export type MemoryMethod = keyof TrafficControl;

/**
 * TrafficControl in memory for unit tests: instance counts, weights, scriptable
 * stats, probes and failures, a dead-man switch driven by the clock, queued
 * commands, and a log of every call with its clock time.
 */
export class MemoryTraffic implements TrafficControl {
  readonly calls: MemoryCall[] = [];
  private readonly clock: Clock;
  private readonly requestsPerSecond: number;
  private weights: Record<string, number>;
  private readonly running = new Map<string, InstanceInfo[]>();
  private readonly warm = new Map<string, number>();
  private readonly statsScripts = new Map<string, StatsScript>();
  private readonly probeScripts = new Map<string, ProbeScript>();
  private readonly ensureFailures = new Map<string, { message: string; times: number }>();
  private readonly delays = new Map<MemoryMethod, number>();
  private commands: RolloutCommand[] = [];
  private rollout: MemoryRollout | null = null;
  private nextPid = 1000;
  private ejection: RouterEjection | null = null;
  private wakeWaiters: (() => void)[] = [];
  waitForSignals?: (rolloutId: string, timeoutMs: number, signal?: AbortSignal) => Promise<RolloutSignals>;

  constructor(opts: MemoryTrafficOptions) {
    this.clock = opts.clock;
    this.requestsPerSecond = opts.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
    this.weights = { ...(opts.weights ?? {}) };
    for (const [version, count] of Object.entries(opts.versions ?? {})) this.scaleTo(version, count);
    if (opts.longPoll === true) this.waitForSignals = (id, ms, signal) => this.heldHeartbeat(id, ms, signal);
  }

  // ---- scripting -------------------------------------------------------

  /** Scripts the router figures of `version` (fixed, or a function of the clock). */
  setStats(version: string, script: StatsScript): void {
    this.statsScripts.set(version, script);
  }

  /** Scripts what probes of `version`'s instances answer. */
  setProbes(version: string, script: ProbeScript): void {
    this.probeScripts.set(version, script);
  }

  /** The next `times` ensureInstances calls for `version` reject with InstancesFailed. */
  failEnsure(version: string, message: string, times = Infinity): void {
    this.ensureFailures.set(version, { message, times });
  }

  /** Calls of `method` take `ms` of clock time before they take effect. */
  setDelay(method: MemoryMethod, ms: number): void {
    this.delays.set(method, ms);
  }

  /** Queues a command for the next heartbeat (`shipgate promote|abort|pause|resume`). */
  sendCommand(command: RolloutCommand): void {
    this.commands.push(command);
    this.wake();
  }

  /** The router ejects `version` now: the next heartbeat (or a held one, at once) tells the driver, with the version's figures over the last 10 s. */
  eject(version: string): void {
    this.ejection = { version, at: new Date(this.clock.now()).toISOString(), stats: { ...this.figures(version, EJECTION_WINDOW_MS), ejected: true } };
    this.wake();
  }

  snapshot(): MemorySnapshot {
    this.housekeep();
    const counts = Object.fromEntries([...this.running].map(([v, list]) => [v, list.length]));
    return { weights: { ...this.weights }, counts, warmUntil: Object.fromEntries(this.warm), rollout: this.rollout ? { ...this.rollout } : null };
  }

  /** The calls of one method, or every call but heartbeats (the usual subject of order assertions). */
  callsOf(method?: MemoryMethod): MemoryCall[] {
    return this.calls.filter((c) => (method === undefined ? c.method !== 'heartbeat' : c.method === method));
  }

  // ---- TrafficControl --------------------------------------------------

  async ensureInstances(version: string, count: number, signal?: AbortSignal): Promise<InstanceInfo[]> {
    await this.enter('ensureInstances', [version, count], signal);
    const failure = this.ensureFailures.get(version);
    if (failure && failure.times > 0) {
      failure.times--;
      throw new InstancesFailed(version, failure.message);
    }
    this.scaleTo(version, count);
    return this.list(version);
  }

  async setWeights(weights: Record<string, number>): Promise<void> {
    await this.enter('setWeights', [{ ...weights }]);
    const values = Object.values(weights);
    const sum = values.reduce((a, b) => a + b, 0);
    if (values.some((w) => !Number.isFinite(w) || w < 0) || sum !== 100) throw new Error(`weights must be non-negative and sum to 100 (got ${JSON.stringify(weights)})`);
    this.weights = { ...weights };
  }

  async currentWeights(): Promise<Record<string, number>> {
    await this.enter('currentWeights', []);
    return { ...this.weights };
  }

  async stopVersion(version: string): Promise<void> {
    await this.enter('stopVersion', [version]);
    // As the agent: a version that still has traffic is not stopped.
    if ((this.weights[version] ?? 0) > 0) throw new Error(`${version} still has ${this.weights[version]}% of the traffic; move it away first`);
    this.running.delete(version);
    this.warm.delete(version);
  }

  async keepWarm(version: string, untilMs: number): Promise<void> {
    await this.enter('keepWarm', [version, untilMs]);
    this.warm.set(version, untilMs);
  }

  async instances(version: string): Promise<InstanceInfo[]> {
    await this.enter('instances', [version]);
    return this.list(version);
  }

  async stats(version: string, windowMs: number): Promise<VersionStats> {
    await this.enter('stats', [version, windowMs]);
    return this.figures(version, windowMs);
  }

  private figures(version: string, windowMs: number): VersionStats {
    const script = this.statsScripts.get(version) ?? {};
    const scripted = typeof script === 'function' ? script(this.clock.now(), windowMs) : script;
    return toStats(version, windowMs, defaultFigures(this.weights[version] ?? 0, this.requestsPerSecond, windowMs), scripted);
  }

  async probe(version: string, opts?: ProbeOptions): Promise<InstanceProbe[]> {
    await this.enter('probe', opts === undefined ? [version] : [version, { ...opts }]);
    const script = this.probeScripts.get(version) ?? { ok: true };
    return this.list(version).map((i) => toProbe(i, typeof script === 'function' ? script(i, this.clock.now()) : script));
  }

  async beginRollout(r: RolloutRegistration): Promise<void> {
    await this.enter('beginRollout', [{ ...r }]);
    this.rollout = { ...r, state: 'active', lastHeartbeatAt: this.clock.now(), abortedAt: null };
  }

  async heartbeat(rolloutId: string): Promise<RolloutSignals> {
    await this.enter('heartbeat', [rolloutId]);
    return this.signals(rolloutId);
  }

  /** `waitForSignals` (with `longPoll`): answers at once when a signal is pending, else when one arrives or `timeoutMs` of clock time passed. */
  private async heldHeartbeat(rolloutId: string, timeoutMs: number, signal?: AbortSignal): Promise<RolloutSignals> {
    await this.enter('waitForSignals', [rolloutId, timeoutMs], signal);
    if (this.rollout?.id === rolloutId && this.rollout.state === 'active') this.rollout.lastHeartbeatAt = this.clock.now();
    if (!this.hasSignal()) await this.sleepUntilWoken(timeoutMs, signal);
    this.housekeep();
    return this.signals(rolloutId);
  }

  private hasSignal(): boolean {
    return this.commands.length > 0 || this.ejection !== null || this.rollout?.state === 'aborted_by_deadman';
  }

  private async sleepUntilWoken(ms: number, signal?: AbortSignal): Promise<void> {
    const woken = new AbortController();
    this.wakeWaiters.push(() => woken.abort());
    try {
      await this.clock.sleep(ms, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
    } catch (err) {
      if (!woken.signal.aborted || signal?.aborted) throw err;
    }
  }

  private wake(): void {
    const waiters = this.wakeWaiters;
    this.wakeWaiters = [];
    for (const w of waiters) w();
  }

  private signals(rolloutId: string): RolloutSignals {
    const rollout = this.rollout;
    if (rollout === null || rollout.id !== rolloutId || rollout.state === 'ended') throw new Error(`no active rollout ${rolloutId}`);
    const commands = this.commands;
    this.commands = [];
    if (rollout.state === 'active') rollout.lastHeartbeatAt = this.clock.now();
    const ejection = this.ejection;
    this.ejection = null;
    return { abortedByDeadman: rollout.state === 'aborted_by_deadman', commands, ...(ejection ? { ejection } : {}) };
  }

  async endRollout(rolloutId: string): Promise<void> {
    await this.enter('endRollout', [rolloutId]);
    if (this.rollout?.id === rolloutId) this.rollout.state = 'ended';
  }

  // ---- internals -------------------------------------------------------

  /** Logs the call, lets scripted time pass, then applies what the clock says happened meanwhile. */
  private async enter(method: MemoryMethod, args: unknown[], signal?: AbortSignal): Promise<void> {
    this.housekeep();
    this.calls.push({ at: this.clock.now(), method, args });
    const delay = this.delays.get(method);
    if (delay !== undefined && delay > 0) await this.clock.sleep(delay, signal);
    this.housekeep();
  }

  /** The agent's timers, evaluated lazily: the dead-man switch and keep-warm expiries. */
  private housekeep(): void {
    const now = this.clock.now();
    const r = this.rollout;
    if (r?.state === 'active' && now - r.lastHeartbeatAt >= r.deadmanMs) {
      r.state = 'aborted_by_deadman';
      r.abortedAt = r.lastHeartbeatAt + r.deadmanMs;
      if (r.stable !== null) this.weights = { [r.stable]: 100 };
    }
    for (const [version, until] of this.warm) {
      if (now < until) continue;
      this.warm.delete(version);
      this.running.delete(version);
    }
  }

  private scaleTo(version: string, count: number): void {
    const list = this.running.get(version) ?? [];
    while (list.length > count) list.pop();
    while (list.length < count) list.push(this.newInstance(version, list.length + 1));
    if (list.length === 0) this.running.delete(version);
    else this.running.set(version, list);
  }

  private newInstance(version: string, n: number): InstanceInfo {
    const at = new Date(this.clock.now()).toISOString();
    const pid = this.nextPid++;
    return { id: `${version}-${n}`, version, pid, port: 20_000 + pid, state: 'ready', restarts: 0, startedAt: at, readyAt: at, lastExit: null };
  }

  private list(version: string): InstanceInfo[] {
    return (this.running.get(version) ?? []).map((i) => ({ ...i }));
  }
}

export function createMemoryTraffic(opts: MemoryTrafficOptions): MemoryTraffic {
  return new MemoryTraffic(opts);
}
