import { isHealthyStatus, probeOnce } from '../../health/probe.js';
import { parseListen } from '../../config/schema/local.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../../runtime/http.js';
import type { InstanceInfo, InstanceProbe, RolloutCommand, RolloutRegistration, RolloutSignals, VersionStats } from '../../rollout/contract.js';
import type { AgentRollout, AgentStatus, Backend, RouterEvent, RouterOptions, RouterTableState, RoutingTable, VersionSpec } from '../contract.js';
import { describeWeights } from '../describe.js';
import type { AgentPaths } from '../paths.js';
import { createSupervisor, type Supervisor } from '../supervisor/index.js';
import { readinessUrl } from '../supervisor/readiness.js';
import { DataPlane } from './data-plane.js';
import { DEADMAN_CHECK_MS, deadmanWeights, isDeadmanDue } from './deadman.js';
import { AgentApiError } from './errors.js';
import { instanceBaseEnv } from './instance-env.js';
import { SignalWaiters } from './signal-waiters.js';
import { writeState, type HandoverState } from './state-file.js';
import { validateWeights } from './weights.js';
import type { ProcessLog } from '../process-log.js';
import { AgentEventLog, agentEventsFile, type AgentEvent } from '../event-log.js';
import { Masker, secretsFromEnv } from '../../runtime/secrets.js';

export interface AgentOptions {
  paths: AgentPaths;
  agentVersion: string;
  clock?: Clock;
  http?: HttpClient;
  log: ProcessLog;
  /** The log's masker: learns the secrets of each spec's environment. @default one of its own */
  masker?: Masker;
  /** Where the agent's own events go for the journal. @default `events.jsonl` in the state folder */
  events?: AgentEventLog;
}

export interface ConfigureRequest {
  app: string;
  listen: string;
  router: RouterOptions;
}

/**
 * The agent: a supervisor (instances), the data plane it drives (the router
 * process: weights and backends go there, figures and ejections come back)
 * and the state that ties them: weights, version specs, warm timers, the
 * rollout and its dead-man switch. Every change is persisted (without
 * secrets) so a restarted agent can re-adopt instances and router.
 */
export class Agent {
  readonly startedAt: string;
  readonly supervisor: Supervisor;
  readonly dataPlane: DataPlane;
  private app: string | null = null;
  private listen: string | null = null;
  private routerOptions: RouterOptions | null = null;
  private weights: Record<string, number> = {};
  private readonly specs = new Map<string, VersionSpec>();
  /** Versions whose environment did not survive a restart from the state file: not restartable until a command sends the spec again. */
  private readonly specMissing = new Set<string>();
  private readonly warmUntil = new Map<string, number>();
  private rollout: AgentRollout | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly clock: Clock;
  private readonly http: HttpClient;
  private persisting: Promise<void> = Promise.resolve();
  /** The last table push (pushes go one at a time, in order). */
  private pushing: Promise<void> = Promise.resolve();
  /** Set while retiring: the router keeps the table it has until the successor takes over. */
  private frozen = false;
  /** Drivers long-polling for a rollout signal. */
  private readonly waiters = new SignalWaiters();

  private readonly masker: Masker;
  private readonly events: AgentEventLog;

  constructor(private readonly opts: AgentOptions) {
    this.masker = opts.masker ?? new Masker();
    this.events = opts.events ?? new AgentEventLog(agentEventsFile(opts.paths.dir));
    this.clock = opts.clock ?? systemClock;
    this.http = opts.http ?? fetchHttp;
    this.startedAt = new Date(this.clock.now()).toISOString();
    this.supervisor = createSupervisor({ stateDir: opts.paths.dir, clock: this.clock, http: this.http, env: instanceBaseEnv(process.env), onChange: () => this.refreshSoon(), log: opts.log,
      onCrashLoop: (l) => this.record('agent:crash_loop', l.version, `${l.id} is crash-looping: ${l.exits} exits within ${l.windowMs / 1000}s (${l.reason})`, { instance: l.id, exits: l.exits, windowMs: l.windowMs }) });
    this.dataPlane = new DataPlane(opts.paths, { log: opts.log, onEjection: (e) => this.onEjection(e), resync: () => this.refresh() });
    this.timers.push(setInterval(() => void this.tick(), DEADMAN_CHECK_MS));
    for (const t of this.timers) t.unref();
  }

  /** Takes over a predecessor's state (handover) or the persisted one (restart). */
  restore(state: HandoverState, incomplete: ReadonlySet<string> = new Set()): void {
    this.app = state.app;
    this.listen = state.listen;
    this.routerOptions = state.router;
    this.weights = state.weights;
    this.rollout = state.rollout;
    for (const spec of state.specs) {
      for (const secret of secretsFromEnv(spec.env)) this.masker.add(secret);
      this.specs.set(spec.version, spec);
    }
    for (const [v, until] of Object.entries(state.warmUntil)) this.warmUntil.set(v, Date.parse(until));
    const known = state.specs.filter((s) => !incomplete.has(s.version));
    for (const v of incomplete) this.opts.log(`${v}: its environment was not kept on disk; its instances keep running, and are restarted if they exit only once a command sends the spec again (the next deploy, rollback or resume does)`);
    this.supervisor.adopt(state.instances, known);
    for (const i of state.instances) if (!known.some((s) => s.version === i.version)) this.specMissing.add(i.version);
  }

  handoverState(): HandoverState {
    return {
      format: 1,
      app: this.app,
      listen: this.listen,
      router: this.routerOptions,
      weights: this.weights,
      specs: [...this.specs.values()],
      instances: this.supervisor.snapshot(),
      warmUntil: Object.fromEntries([...this.warmUntil].map(([v, ms]) => [v, new Date(ms).toISOString()])),
      rollout: this.rollout,
    };
  }

  /**
   * At start: adopts the router process that runs (it kept serving while no
   * agent ran, so its weights are what is live), or starts one on the saved
   * address. A failed start is reported by status, not fatal.
   */
  async attachRouter(): Promise<void> {
    const saved = this.listen !== null && this.routerOptions !== null ? this.tableState(this.listen, this.routerOptions) : null;
    const adopted = await this.dataPlane.attach(saved);
    if (adopted === null) return;
    if (describeWeights(adopted.weights) !== describeWeights(this.weights)) {
      this.opts.log(`the router serves ${describeWeights(adopted.weights)}: that is live, so it replaces the saved ${describeWeights(this.weights)}`);
      this.weights = { ...adopted.weights };
    }
    this.listen = adopted.listen;
    await this.refresh().catch((err: Error) => this.opts.log(`could not send the table to the router: ${err.message}`));
    this.persist();
  }

  /**
   * Sets the router's address and options. A new address (or a router that is
   * gone) starts a router there first; only once it listens is the address
   * kept, so an address that failed to bind is never saved (409 naming it).
   */
  async configure(req: ConfigureRequest): Promise<{ created: boolean }> {
    const created = this.dataPlane.listen !== req.listen || !(await this.dataPlane.isUp());
    if (created) await this.dataPlane.bind(this.tableState(req.listen, req.router));
    this.app = req.app;
    this.listen = req.listen;
    this.routerOptions = req.router;
    if (!created) await this.refresh();
    this.persist();
    return { created };
  }

  async ensureInstances(spec: VersionSpec, count: number): Promise<InstanceInfo[]> {
    this.rememberSpec(spec);
    this.warmUntil.delete(spec.version);
    const live = this.live(spec.version);
    if (live.length < count) await this.supervisor.start(spec, count - live.length);
    for (const extra of live.slice(count)) await this.supervisor.stop(extra.id, () => this.drain(extra.id, spec.stopTimeoutMs));
    this.persist();
    return this.live(spec.version);
  }

  /** Keeps how to run a version (with its environment) so its running instances can be restarted; starts and stops nothing. */
  rememberSpec(spec: VersionSpec): void {
    for (const secret of secretsFromEnv(spec.env)) this.masker.add(secret);
    this.specs.set(spec.version, spec);
    this.supervisor.remember(spec);
    this.specMissing.delete(spec.version);
    this.persist();
  }

  /** Resolves once the router serves the new weights. */
  async setWeights(weights: Record<string, number>, reason = 'requested'): Promise<void> {
    validateWeights(weights, (v) => this.live(v).filter((i) => i.state === 'ready').length);
    // Kept only once the router serves them: a router that refused or did not answer still serves the old ones, and so does the agent's word.
    await this.refresh({ ...weights });
    this.persist();
    this.opts.log(`weights ${JSON.stringify(weights)} (${reason})`);
  }

  currentWeights(): Record<string, number> {
    return { ...this.weights };
  }

  async stopVersion(version: string): Promise<void> {
    if ((this.weights[version] ?? 0) > 0) throw new AgentApiError(409, `${version} still has ${this.weights[version]}% of the traffic; move it away first`);
    const spec = this.specs.get(version);
    await this.supervisor.stopVersion(version, (id) => this.drain(id, spec?.stopTimeoutMs ?? 30_000));
    this.specs.delete(version);
    this.warmUntil.delete(version);
    this.persist();
  }

  keepWarm(version: string, untilMs: number): void {
    if (!this.specs.has(version)) throw new AgentApiError(404, `no instances of ${version}`);
    this.warmUntil.set(version, untilMs);
    this.persist();
  }

  stats(version: string, windowMs: number): Promise<VersionStats> {
    return this.dataPlane.stats(version, windowMs);
  }

  /** Probes each instance directly, or once through the router with the version header (blue-green preview). */
  async probe(version: string, viaHeader = false): Promise<InstanceProbe[]> {
    const spec = this.specs.get(version);
    if (!spec) throw new AgentApiError(404, `no instances of ${version}`);
    if (viaHeader) return [await this.probeViaRouter(version, spec)];
    return Promise.all(
      this.live(version).map(async (i) => {
        const r = await probeOnce(readinessUrl(i.port, spec.readiness.path), spec.readiness.timeoutMs, spec.readiness.expect, { http: this.http, clock: this.clock });
        return { instanceId: i.id, version, ok: r.healthy, status: r.status, ms: r.ms, reason: r.reason };
      }),
    );
  }

  private async probeViaRouter(version: string, spec: VersionSpec): Promise<InstanceProbe> {
    if (!this.listen) throw new AgentApiError(409, 'the router is not configured yet');
    const { port } = parseListen(this.listen);
    const url = `http://127.0.0.1:${port}${spec.readiness.path}`;
    try {
      const res = await this.http({ url, timeoutMs: spec.readiness.timeoutMs, headers: { 'x-shipgate-version': version } });
      const ok = isHealthyStatus(res.status, spec.readiness.expect);
      return { instanceId: 'router', version, ok, status: res.status, ms: Math.round(res.ms), reason: `HTTP ${res.status} through the router` };
    } catch (err) {
      return { instanceId: 'router', version, ok: false, status: null, ms: null, reason: `through the router: ${(err as Error).message}` };
    }
  }

  instances(version?: string): InstanceInfo[] {
    return this.supervisor.instances(version);
  }

  beginRollout(r: RolloutRegistration): void {
    if (this.rollout?.state === 'active' && this.rollout.id !== r.id) {
      throw new AgentApiError(409, `rollout ${this.rollout.id} (${this.rollout.candidate}) is still active`);
    }
    const now = new Date(this.clock.now()).toISOString();
    this.rollout = { ...r, lastHeartbeatAt: now, state: 'active', abortedAt: null, pendingCommands: [], paused: false, beganAt: now, ejection: null, ejectionPending: false };
    this.persist();
  }

  heartbeat(id: string): RolloutSignals {
    const r = this.requireRollout(id);
    const ejection = r.ejectionPending === true ? (r.ejection ?? null) : null;
    r.ejectionPending = false;
    if (r.state === 'aborted_by_deadman') return { abortedByDeadman: true, commands: [], ejection };
    r.lastHeartbeatAt = new Date(this.clock.now()).toISOString();
    const commands = r.pendingCommands.splice(0);
    return { abortedByDeadman: false, commands, ejection };
  }

  /** A heartbeat held until there is a signal for the driver (or `timeoutMs` passed): it hears an ejection the moment the router reports it. */
  async waitForSignals(id: string, timeoutMs: number): Promise<RolloutSignals> {
    const r = this.requireRollout(id);
    if (r.state === 'active') r.lastHeartbeatAt = new Date(this.clock.now()).toISOString();
    if (!hasSignal(r)) await this.waiters.wait(timeoutMs);
    return this.heartbeat(id);
  }

  /** The router ejected a version: when it is the candidate of the active rollout, its driver hears of it at once. */
  private onEjection(e: RouterEvent): void {
    const r = this.rollout;
    this.record('agent:ejected', e.version, `router: ${e.version} ejected at ${e.at} (${e.stats.errors5xx + e.stats.connErrors} of ${e.stats.requests} requests failed in the last ${e.stats.windowMs / 1000}s)`, { ejectedAt: e.at, stats: e.stats });
    if (r === null || r.state !== 'active' || r.candidate !== e.version || r.ejection) return;
    if (r.beganAt !== undefined && Date.parse(e.at) < Date.parse(r.beganAt)) return;
    r.ejection = { version: e.version, at: e.at, stats: e.stats };
    r.ejectionPending = true;
    this.persist();
    this.waiters.wake();
  }

  endRollout(id: string): void {
    const r = this.requireRollout(id);
    if (r.state === 'active') r.state = 'ended';
    this.persist();
  }

  /** `shipgate promote|abort|pause|resume`: queued for the process driving the rollout. */
  command(command: RolloutCommand): AgentRollout {
    const r = this.rollout;
    if (!r || r.state !== 'active') throw new AgentApiError(409, 'no rollout is in progress');
    r.pendingCommands.push(command);
    if (command === 'pause') r.paused = true;
    if (command === 'resume') r.paused = false;
    this.waiters.wake();
    return r;
  }

  /** The versions the agent runs or knows how to run. */
  knownVersions(): Set<string> {
    return new Set([...this.specs.keys(), ...this.supervisor.instances().map((i) => i.version)]);
  }

  async status(): Promise<AgentStatus> {
    const versions = this.knownVersions();
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      agentVersion: this.opts.agentVersion,
      app: this.app,
      listen: this.listen,
      weights: { ...this.weights },
      versions: [...versions].sort().map((version) => ({
        version,
        instances: this.supervisor.instances(version),
        warmUntil: this.warmUntil.has(version) ? new Date(this.warmUntil.get(version)!).toISOString() : null,
        specMissing: this.specMissing.has(version),
      })),
      rollout: this.rollout,
      router: await this.dataPlane.report(),
    };
  }

  /** Stops timers and watching; instances and router keep running (handover or `agent stop --keep-instances`). */
  async detach(): Promise<void> {
    this.frozen = true;
    for (const t of this.timers) clearInterval(t);
    this.dataPlane.detach();
    await this.persisting;
    await this.supervisor.detach();
  }

  /** `agent stop`: traffic off, instances stopped, then the router and its keeper. */
  async stopEverything(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.weights = {};
    await this.refresh().catch((err: Error) => this.opts.log(`could not send the empty table to the router: ${err.message}`));
    await this.supervisor.stopAll();
    await this.dataPlane.stop();
    this.specs.clear();
    this.persist();
    await this.persisting;
  }

  private requireRollout(id: string): AgentRollout {
    if (!this.rollout || this.rollout.id !== id) throw new AgentApiError(404, `no rollout ${id}`);
    return this.rollout;
  }

  private live(version: string): InstanceInfo[] {
    return this.supervisor.instances(version).filter((i) => i.state !== 'stopped' && i.state !== 'draining');
  }

  private async drain(id: string, timeoutMs: number): Promise<void> {
    await this.refresh();
    await this.dataPlane.drain(id, timeoutMs);
  }

  /** Weights and backends as the router should see them now. */
  private table(weights: Record<string, number> = this.weights): RoutingTable {
    const backends: Backend[] = this.supervisor.instances().filter((i) => i.state !== 'stopped').map((i) => ({
      id: i.id,
      version: i.version,
      host: '127.0.0.1',
      port: i.port,
      ready: i.state === 'ready',
      draining: i.state === 'draining',
    }));
    return { weights: { ...weights }, backends };
  }

  private tableState(listen: string, options: RouterOptions): RouterTableState {
    return { format: 1, listen, options, table: this.table() };
  }

  /**
   * Sends weights and backends to the router; resolves when it serves them.
   * One push at a time, each built when its turn comes, so the router never
   * gets an older table after a newer one. With `weights`, those are sent and
   * become the agent's weights only once the router took them.
   */
  private refresh(weights?: Record<string, number>): Promise<void> {
    const push = async (): Promise<void> => {
      const options = this.routerOptions;
      if (!this.frozen && options !== null) await this.dataPlane.push(this.table(weights), options);
      if (weights) this.weights = weights;
    };
    const done = this.pushing.then(push);
    this.pushing = done.catch(() => undefined);
    return done;
  }

  /**
   * One of the agent's own events: in its log, and in its event file for the journal (the
   * rollout's deployment when the version is part of it). Never fails the caller.
   */
  private record(type: AgentEvent['type'], version: string, message: string, data: Record<string, unknown>): void {
    const r = this.rollout;
    const deploymentId = r && (r.candidate === version || r.stable === version) ? r.id : null;
    let id: string | null = null;
    try {
      id = this.events.append({ at: new Date(this.clock.now()).toISOString(), type, deploymentId, version, message: this.masker.mask(message), data: this.masker.maskValue(data) }).id;
    } catch (err) {
      this.opts.log(`could not keep the event for the journal: ${(err as Error).message}`);
    }
    this.opts.log(message, { event: type, event_id: id, deployment_id: deploymentId, version, ...data });
  }

  /** An instance changed (supervisor): the router hears of it without the caller waiting. */
  private refreshSoon(): void {
    this.refresh().catch((err: Error) => this.opts.log(`could not send the table to the router: ${err.message}`));
  }

  /** The dead-man switch and warm timers. */
  private async tick(): Promise<void> {
    const now = this.clock.now();
    const r = this.rollout;
    if (r && isDeadmanDue(r, now)) {
      r.state = 'aborted_by_deadman';
      r.abortedAt = new Date(now).toISOString();
      this.weights = deadmanWeights(r);
      this.refreshSoon();
      this.record('agent:deadman_abort', r.candidate, `dead-man switch: no heartbeat from rollout ${r.id} for ${r.deadmanMs}ms; all traffic back to ${r.stable ?? 'nothing'}`, {
        deadmanMs: r.deadmanMs,
        stable: r.stable,
        weights: this.weights,
      });
      this.persist();
      this.waiters.wake();
    }
    for (const [version, until] of this.warmUntil) {
      if (now > until && (this.weights[version] ?? 0) === 0) {
        this.warmUntil.delete(version);
        this.opts.log(`${version}: kept warm until ${new Date(until).toISOString()}; stopping`);
        await this.stopVersion(version).catch((err: Error) => this.opts.log(`${version}: stop failed: ${err.message}`));
      }
    }
  }

  private persist(): void {
    const state = this.handoverState();
    this.persisting = this.persisting.then(() => writeState(this.opts.paths.stateFile, state)).catch((err: Error) => this.opts.log(`could not write state: ${err.message}`));
  }
}

function hasSignal(r: AgentRollout): boolean {
  return r.state === 'aborted_by_deadman' || r.pendingCommands.length > 0 || r.ejectionPending === true;
}
