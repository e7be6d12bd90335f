import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { humanDuration } from '../../config/duration.js';
import { NotFound } from '../../errors.js';
import { abortReason, systemClock, type Clock } from '../../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../../runtime/http.js';
import { InstancesFailed, type InstanceInfo } from '../../rollout/contract.js';
import type { VersionSpec } from '../contract.js';
import { backoffDelay, DEFAULT_BACKOFF, nextAttempt, type BackoffPolicy } from './backoff.js';
import { DEFAULT_CRASH_LOOP, entersCrashLoop, isCrashLoop, recordExit, type CrashLoopRule } from './crashloop.js';
import { exitReason, FAILURE_LOG_LINES, notReadyReason, startFailureMessage, type StartFailure } from './failure.js';
import { fromRecord, instanceId, instanceNumber, newManaged, toInfo, toRecord, type AdoptRecord, type Managed } from './instance.js';
import { DEFAULT_ROTATION, instanceLogPath, logsDir, startRotationLoop, tailSinceMarker, writeMarker, type RotationPolicy } from './logs.js';
import { allocatePort, isBindFailure, MAX_BIND_RETRIES, type PortAllocator } from './ports.js';
import { DEFAULT_UNHEALTHY_AFTER, initialReadiness, onProbe, probeReadiness, type ReadinessEvent } from './readiness.js';
import { adoptProcess, instanceEnv, isRunning, spawnInstance, type ExitInfo, type Proc } from './spawn.js';

/** Stop timeout of an adopted instance whose spec is unknown. */
export const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** How often an adopted instance (not our child) is checked for life. */
export const DEFAULT_LIVENESS_POLL_MS = 1000;
/** How long to wait for a process to vanish after SIGKILL before saying so. */
const KILL_WAIT_MS = 5000;

export interface SupervisorOptions {
  /** `<project>/.shipgate/agent`: instance logs go to `<stateDir>/logs/<version>/<id>.log`. */
  stateDir: string;
  /** @default systemClock */
  clock?: Clock;
  /** Used for readiness probes. @default fetchHttp */
  http?: HttpClient;
  /** Called on every change of an instance (state, pid, port, restarts): the agent updates the router from this. */
  onChange?: (instance: InstanceInfo) => void;
  /** The agent log. @default no logging */
  log?: (line: string) => void;
  /** Restart delays. @default { initialMs: 1000, maxMs: 30000, factor: 2, resetAfterMs: 60000 } */
  backoff?: Partial<BackoffPolicy>;
  /** What counts as a crash loop. @default { exits: 3, windowMs: 60000 } */
  crashLoop?: Partial<CrashLoopRule>;
  /** Called once when an instance enters a crash loop (not again until it was ready in between). */
  onCrashLoop?: (loop: { id: string; version: string; exits: number; windowMs: number; reason: string }) => void;
  /** Failed probes in a row that make a ready instance `unhealthy`. @default 3 */
  unhealthyAfter?: number;
  /** Log rotation. @default { maxBytes: 10 MiB, keep: 3, checkEveryMs: 10000 } */
  logRotation?: Partial<RotationPolicy>;
  /** Liveness polling of adopted instances. @default 1000 */
  livenessPollMs?: number;
  /** Picks a free port. @default bind port 0 on 127.0.0.1 */
  allocatePort?: PortAllocator;
  /** Base environment of instances. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface Supervisor {
  /**
   * Starts `count` new instances of spec.version; resolves when all are ready.
   * Rejects with InstancesFailed (which instance, why, the last lines of its log)
   * after stopping the ones that did not come up; the ones that did stay.
   */
  start(spec: VersionSpec, count: number, signal?: AbortSignal): Promise<InstanceInfo[]>;
  /** Stops one instance: `beforeStop` runs first (the agent drains it in the router), then SIGTERM, SIGKILL after spec.stopTimeoutMs. */
  stop(instanceId: string, beforeStop?: () => Promise<void>): Promise<void>;
  stopVersion(version: string, beforeStop?: (id: string) => Promise<void>): Promise<void>;
  instances(version?: string): InstanceInfo[];
  spec(version: string): VersionSpec | undefined;
  /** Keeps how to run `spec.version` (with its environment), so its instances can be restarted; starts nothing. */
  remember(spec: VersionSpec): void;
  snapshot(): AdoptRecord[];
  adopt(records: AdoptRecord[], specs: VersionSpec[]): void;
  /** Stops watching (timers, children) WITHOUT stopping the instances: used when handing over to a new agent. */
  detach(): Promise<void>;
  /** Stops every instance. */
  stopAll(): Promise<void>;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  return new ProcessSupervisor(opts);
}

/** How one run of a process ended, as seen by the watch loop. */
type RunEnd = { kind: 'exit'; exit: ExitInfo; wasReady: boolean } | { kind: 'not-ready'; lastProbe: string | null };

/** An instance being started by `start`, until its first ready. */
interface Starting {
  m: Managed;
  first: FirstReady;
  done: Promise<void>;
}

interface FirstReady {
  resolve(): void;
  reject(f: StartFailure): void;
  settled: boolean;
  ready: boolean;
}

class ProcessSupervisor implements Supervisor {
  private readonly clock: Clock;
  private readonly http: HttpClient;
  private readonly backoff: BackoffPolicy;
  private readonly crashLoop: CrashLoopRule;
  private readonly rotation: RotationPolicy;
  private readonly unhealthyAfter: number;
  private readonly table = new Map<string, Managed>();
  private readonly specs = new Map<string, VersionSpec>();
  private readonly lastNumber = new Map<string, number>();
  private rotating: { stop(): void } | null = null;
  private detached = false;

  constructor(private readonly opts: SupervisorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.http = opts.http ?? fetchHttp;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.crashLoop = { ...DEFAULT_CRASH_LOOP, ...opts.crashLoop };
    this.rotation = { ...DEFAULT_ROTATION, ...opts.logRotation };
    this.unhealthyAfter = opts.unhealthyAfter ?? DEFAULT_UNHEALTHY_AFTER;
  }

  async start(spec: VersionSpec, count: number, signal?: AbortSignal): Promise<InstanceInfo[]> {
    this.assertAttached();
    if (signal?.aborted) throw abortReason(signal);
    this.specs.set(spec.version, spec);
    const created = await this.createMany(spec.version, count);
    this.ensureRotation();
    return this.awaitReady(spec.version, created, signal);
  }

  private async createMany(version: string, count: number): Promise<Starting[]> {
    const created: Starting[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const m = this.create(version, await this.allocate());
        const { first, done } = firstReady();
        m.loop = this.supervise(m, first);
        created.push({ m, first, done });
      }
      return created;
    } catch (err) {
      // Nobody awaits these any more: stopping them rejects their readiness promise.
      for (const c of created) c.done.catch(() => undefined);
      await Promise.all(created.map((c) => this.stopInstance(c.m)));
      throw new InstancesFailed(version, `could not start ${version}: ${(err as Error).message}`);
    }
  }

  /** All ready, or the first failure: then the ones not ready yet are stopped and InstancesFailed names what failed. */
  private async awaitReady(version: string, created: Starting[], signal?: AbortSignal): Promise<InstanceInfo[]> {
    const failures: StartFailure[] = [];
    const all = Promise.all(created.map((c) => c.done.catch((f: StartFailure) => (failures.push(f), Promise.reject(f)))));
    all.catch(() => undefined);
    try {
      await raceAbort(all, signal);
      return created.map((c) => toInfo(c.m));
    } catch (err) {
      // After a handover the instances belong to the successor: leave them alone.
      if (this.detached) throw new Error(`the supervisor was detached while ${version} was starting`);
      await Promise.all(created.filter((c) => !c.first.ready).map((c) => this.stopInstance(c.m)));
      if (signal?.aborted) throw abortReason(signal);
      throw new InstancesFailed(version, startFailureMessage(version, created.length, failures.length > 0 ? failures : [err as StartFailure]));
    }
  }

  async stop(id: string, beforeStop?: () => Promise<void>): Promise<void> {
    this.assertAttached();
    const m = this.table.get(id);
    if (!m) throw new NotFound(`no instance ${id}`);
    await this.stopInstance(m, beforeStop);
  }

  async stopVersion(version: string, beforeStop?: (id: string) => Promise<void>): Promise<void> {
    this.assertAttached();
    const ms = [...this.table.values()].filter((m) => m.version === version);
    await Promise.all(ms.map((m) => this.stopInstance(m, beforeStop && (() => beforeStop(m.id)))));
    this.specs.delete(version);
  }

  async stopAll(): Promise<void> {
    this.assertAttached();
    await Promise.all([...this.table.values()].map((m) => this.stopInstance(m)));
    this.specs.clear();
  }

  instances(version?: string): InstanceInfo[] {
    return [...this.table.values()]
      .filter((m) => version === undefined || m.version === version)
      .sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
      .map(toInfo);
  }

  spec(version: string): VersionSpec | undefined {
    return this.specs.get(version);
  }

  remember(spec: VersionSpec): void {
    this.specs.set(spec.version, spec);
  }

  snapshot(): AdoptRecord[] {
    return [...this.table.values()].filter((m) => m.state !== 'stopped').map(toRecord);
  }

  adopt(records: AdoptRecord[], specs: VersionSpec[]): void {
    this.assertAttached();
    for (const spec of specs) if (!this.specs.has(spec.version)) this.specs.set(spec.version, spec);
    for (const r of records) {
      if (r.state === 'stopped') continue;
      if (this.table.has(r.id)) {
        this.log(`${r.id}: already supervised; the adopted record is ignored`);
        continue;
      }
      this.adoptOne(r);
    }
    this.ensureRotation();
  }

  async detach(): Promise<void> {
    this.detached = true;
    this.stopRotation();
    const all = [...this.table.values()];
    for (const m of all) m.ctl.abort();
    await Promise.all(all.map((m) => m.loop));
    for (const m of all) m.proc?.release();
  }

  // ---- instances ----------------------------------------------------------

  private create(version: string, port: number): Managed {
    const m = newManaged(instanceId(version, this.nextNumber(version)), version, port, this.clock.now());
    this.table.set(m.id, m);
    this.report(m);
    return m;
  }

  /** One more than the highest number in use or with a log file, so ids never repeat within a state folder. */
  private nextNumber(version: string): number {
    let max = this.lastNumber.get(version) ?? 0;
    for (const m of this.table.values()) max = Math.max(max, instanceNumber(version, m.id) ?? 0);
    for (const name of safeReaddir(join(logsDir(this.opts.stateDir), version))) max = Math.max(max, instanceNumber(version, name) ?? 0);
    this.lastNumber.set(version, max + 1);
    return max + 1;
  }

  private adoptOne(r: AdoptRecord): void {
    const m = fromRecord(r, this.clock.now());
    this.table.set(m.id, m);
    const n = instanceNumber(m.version, m.id);
    if (n !== null) this.lastNumber.set(m.version, Math.max(n, this.lastNumber.get(m.version) ?? 0));
    const poll = this.opts.livenessPollMs ?? DEFAULT_LIVENESS_POLL_MS;
    if (r.pid !== null && isRunning(r.pid, r.startToken)) m.proc = adoptProcess(r.pid, r.startToken, this.clock, poll);
    else if (this.specs.has(m.version)) {
      // Found dead: restarted at once by the watch loop, and counted as a restart.
      m.restarts++;
      this.log(`${m.id}: pid ${r.pid ?? '-'} was not running when adopted; restarting it`);
    }
    this.report(m);
    this.log(`${m.id}: adopted (pid ${m.proc?.pid ?? '-'}, port ${m.port}, ${m.state})`);
    m.loop = this.supervise(m, null);
    if (r.state === 'draining') void this.stopInstance(m);
  }

  private async stopInstance(m: Managed, beforeStop?: () => Promise<void>): Promise<void> {
    m.stopping ??= this.runStop(m, beforeStop);
    return m.stopping;
  }

  private async runStop(m: Managed, beforeStop?: () => Promise<void>): Promise<void> {
    m.ctl.abort();
    await m.loop;
    if (m.state !== 'stopped') this.update(m, { state: 'draining' });
    if (beforeStop) await beforeStop().catch((err: unknown) => this.log(`${m.id}: draining failed (stopping anyway): ${(err as Error).message}`));
    if (m.proc && m.proc.exit === null) await this.terminate(m, m.proc, this.specs.get(m.version)?.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    m.proc?.release();
    this.update(m, { state: 'stopped', lastExit: m.proc?.exit ? lastExitOf(m.proc.exit) : m.lastExit });
    this.table.delete(m.id);
    if (this.table.size === 0) this.stopRotation();
  }

  /** SIGTERM to the group, SIGKILL after `timeoutMs`. */
  private async terminate(m: Managed, proc: Proc, timeoutMs: number): Promise<void> {
    proc.kill('SIGTERM');
    if (await this.exitWithin(proc, timeoutMs)) return;
    this.log(`${m.id}: still running ${humanDuration(timeoutMs)} after SIGTERM; sending SIGKILL`);
    proc.kill('SIGKILL');
    if (!(await this.exitWithin(proc, KILL_WAIT_MS))) this.log(`${m.id}: pid ${proc.pid} still running after SIGKILL`);
  }

  private async exitWithin(proc: Proc, ms: number): Promise<ExitInfo | null> {
    const ac = new AbortController();
    try {
      return await Promise.race([proc.exited, this.clock.sleep(ms, ac.signal).then(() => null)]);
    } finally {
      ac.abort();
    }
  }

  // ---- the watch loop -----------------------------------------------------

  /**
   * Owns one instance until it is stopped or the supervisor detaches: launches
   * its process, watches readiness, and after an exit restarts it with backoff.
   * During `start` (first is set) a failure is reported instead of restarted.
   */
  private async supervise(m: Managed, first: FirstReady | null): Promise<void> {
    let bindRetries = 0;
    try {
      for (;;) {
        const spec = this.specs.get(m.version);
        if (!m.proc) {
          if (!spec) return this.markGone(m, null);
          if (m.attempt > 0 && bindRetries === 0) await this.clock.sleep(backoffDelay(m.attempt, this.backoff), m.ctl.signal);
          this.launch(m, spec, bindRetries === 0 && m.attempt > 0);
        }
        const end = await this.watch(m, spec, first);
        if (end.kind === 'not-ready') await this.terminate(m, m.proc!, spec!.stopTimeoutMs);
        const exit = m.proc!.exit ?? (await m.proc!.exited);
        m.proc!.release();
        m.proc = null;
        // At once, before anything else is awaited: the router must not see a dead instance as ready.
        this.update(m, { state: m.state === 'crashloop' ? 'crashloop' : 'starting', readyAt: null, lastExit: lastExitOf(exit) });
        // Looked up again: a command may have sent the spec (with its environment) while the process ran.
        if (!this.specs.has(m.version)) return this.markGone(m, exit);
        if (!spec) {
          // Adopted without a spec, which arrived since: restart it like any instance that exited.
          this.afterExit(m, exit, exitReason(exit));
          continue;
        }
        // Being stopped (it was killed for not being ready): no restart, no report.
        if (m.ctl.signal.aborted) return;
        const tail = await tailSinceMarker(this.logPath(m), FAILURE_LOG_LINES);
        if (end.kind === 'exit' && !end.wasReady && bindRetries < MAX_BIND_RETRIES && isBindFailure(tail.join('\n'))) {
          bindRetries++;
          await this.moveToNewPort(m);
          continue;
        }
        bindRetries = 0;
        const reason = end.kind === 'exit' ? runExitReason(exit, end.wasReady) : notReadyReason(spec.readiness.graceMs, end.lastProbe);
        if (first && !first.settled) return first.reject({ id: m.id, reason, logTail: tail });
        this.afterExit(m, exit, reason);
      }
    } catch (err) {
      if (!m.ctl.signal.aborted) this.log(`${m.id}: supervision failed: ${(err as Error).message}`);
    } finally {
      if (first && !first.settled) first.reject({ id: m.id, reason: 'was stopped before it was ready', logTail: [], stopped: true });
    }
  }

  private launch(m: Managed, spec: VersionSpec, isRestart: boolean): void {
    const path = this.logPath(m);
    if (isRestart) m.restarts++;
    const restart = m.restarts > 0 ? ` (restart ${m.restarts})` : '';
    writeMarker(path, `${m.id} starting on port ${m.port}${restart} at ${new Date(this.clock.now()).toISOString()}`);
    const env = instanceEnv(spec, m.port, m.id, this.opts.env);
    m.proc = spawnInstance({ argv: spec.argv, cwd: spec.releaseDir, env, logPath: path }, this.clock);
    m.phase = 'starting';
    this.update(m, { startedAt: this.clock.now(), readyAt: null });
  }

  /** Probes every interval until the process exits (or, while starting, grace runs out). */
  private async watch(m: Managed, spec: VersionSpec | undefined, first: FirstReady | null): Promise<RunEnd> {
    const proc = m.proc!;
    if (!spec) return { kind: 'exit', exit: await raceAbort(proc.exited, m.ctl.signal), wasReady: false };
    let rs = initialReadiness(m.phase === 'starting' ? this.clock.now() : m.startedAt, m.phase);
    const rule = { graceMs: spec.readiness.graceMs, unhealthyAfter: this.unhealthyAfter };
    for (;;) {
      const exit = await this.exitOrTick(proc, spec.readiness.intervalMs, m.ctl.signal);
      if (exit) return { kind: 'exit', exit, wasReady: rs.phase !== 'starting' };
      const probe = await probeReadiness(m.port, spec.readiness, { http: this.http, clock: this.clock, signal: m.ctl.signal });
      if (proc.exit) continue;
      const step = onProbe(rs, probe.ok, probe.reason, this.clock.now(), rule);
      rs = step.state;
      m.phase = rs.phase;
      if (step.event === 'grace-expired') return { kind: 'not-ready', lastProbe: rs.lastReason };
      if (step.event) this.onReadiness(m, step.event, rs.lastReason, first);
    }
  }

  private onReadiness(m: Managed, event: Exclude<ReadinessEvent, 'grace-expired'>, reason: string | null, first: FirstReady | null): void {
    if (event === 'unhealthy') {
      this.update(m, { state: 'unhealthy' });
      this.log(`${m.id}: unhealthy after ${this.unhealthyAfter} failed probes (${reason ?? 'no answer'})`);
      return;
    }
    if (event === 'ready') this.update(m, { state: 'ready', readyAt: this.clock.now() });
    else this.update(m, { state: 'ready' });
    this.log(`${m.id}: ${event === 'ready' ? 'ready' : 'healthy again'} (pid ${m.proc?.pid}, port ${m.port})`);
    first?.resolve();
  }

  /** Resolves with the exit if the process ends within `ms`, else null. Throws when `signal` aborts. */
  private async exitOrTick(proc: Proc, ms: number, signal: AbortSignal): Promise<ExitInfo | null> {
    const ac = new AbortController();
    try {
      return await Promise.race([proc.exited, this.clock.sleep(ms, AbortSignal.any([signal, ac.signal])).then(() => null)]);
    } finally {
      ac.abort();
    }
  }

  /** Records an exit of a supervised instance: backoff, crash loop, state. */
  private afterExit(m: Managed, exit: ExitInfo, reason: string): void {
    m.attempt = nextAttempt(m.attempt, exit.at - m.startedAt, this.backoff);
    m.exits = recordExit(m.exits, exit.at, this.crashLoop);
    // Once looping, an instance stays `crashloop` until it is ready again.
    const looping = m.state === 'crashloop' || isCrashLoop(m.exits, exit.at, this.crashLoop);
    const delay = backoffDelay(m.attempt, this.backoff);
    this.update(m, { state: looping ? 'crashloop' : 'starting' });
    const loop = looping ? ` (crash loop: ${m.exits.length} exits within ${humanDuration(this.crashLoop.windowMs)})` : '';
    this.log(`${m.id}: ${reason}${loop}; restarting in ${humanDuration(delay)}`);
    if (entersCrashLoop(m.exits, exit.at, this.crashLoop)) this.opts.onCrashLoop?.({ id: m.id, version: m.version, exits: m.exits.length, windowMs: this.crashLoop.windowMs, reason });
  }

  private async moveToNewPort(m: Managed): Promise<void> {
    const old = m.port;
    const port = await this.allocate(old);
    this.log(`${m.id}: port ${old} was taken; retrying on port ${port}`);
    this.update(m, { port });
  }

  /** An instance whose version's spec is unknown cannot be restarted: it is marked stopped. */
  private markGone(m: Managed, exit: ExitInfo | null): void {
    this.update(m, { state: 'stopped' });
    this.log(`${m.id}: ${exit ? 'exited' : 'is not running'} and is not restarted: this agent does not know how to run ${m.version} (its spec did not survive the agent restart); deploy ${m.version} again to restore it`);
  }

  // ---- helpers --------------------------------------------------------------

  private update(m: Managed, patch: Partial<Managed>): void {
    Object.assign(m, patch);
    this.report(m);
  }

  private report(m: Managed): void {
    const info = toInfo(m);
    const key = JSON.stringify(info);
    if (key === m.reported) return;
    m.reported = key;
    try {
      this.opts.onChange?.(info);
    } catch (err) {
      this.log(`onChange failed for ${m.id}: ${(err as Error).message}`);
    }
  }

  private async allocate(...also: number[]): Promise<number> {
    const taken = new Set([...also, ...[...this.table.values()].map((m) => m.port)]);
    return (this.opts.allocatePort ?? allocatePort)(taken);
  }

  private logPath(m: Managed): string {
    return instanceLogPath(this.opts.stateDir, m.version, m.id);
  }

  private ensureRotation(): void {
    if (this.rotating || this.detached || this.table.size === 0) return;
    const files = (): { id: string; path: string }[] => [...this.table.values()].filter((m) => m.state !== 'stopped').map((m) => ({ id: m.id, path: this.logPath(m) }));
    this.rotating = startRotationLoop({ clock: this.clock, policy: this.rotation, files, log: (l) => this.log(l) });
  }

  private stopRotation(): void {
    this.rotating?.stop();
    this.rotating = null;
  }

  private assertAttached(): void {
    if (this.detached) throw new Error('the supervisor was detached (handed over to another agent)');
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }
}

function runExitReason(exit: ExitInfo, wasReady: boolean): string {
  return wasReady || exit.error !== undefined ? exitReason(exit) : `${exitReason(exit)} before it was ready`;
}

function lastExitOf(exit: ExitInfo): NonNullable<InstanceInfo['lastExit']> {
  return { code: exit.code, signal: exit.signal, at: new Date(exit.at).toISOString() };
}

function firstReady(): { first: FirstReady; done: Promise<void> } {
  let resolve!: () => void;
  let reject!: (f: StartFailure) => void;
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  const first: FirstReady = {
    settled: false,
    ready: false,
    resolve: () => {
      if (first.settled) return;
      first.settled = first.ready = true;
      resolve();
    },
    reject: (f) => {
      if (first.settled) return;
      first.settled = true;
      reject(f);
    },
  };
  return { first, done };
}

/** `p`, or the abort reason of `signal` if it aborts first. */
async function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) throw abortReason(signal);
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
