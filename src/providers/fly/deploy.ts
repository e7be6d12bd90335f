import type { FlyProviderConfig, RolloutConfig } from '../../config/schema/index.js';
import { InstancesFailed, type Evaluation, type MetricsSource, type RolloutSession } from '../../rollout/contract.js';
import type { Clock } from '../../runtime/clock.js';
import type { FlyMachine, FlyMachineConfig } from './client.js';
import type { Fleet } from './fleet.js';
import { appMachines, batchSize, isStandby, machineConfig, majorityVersion, STANDBY_KEY, targetCount, versionOf } from './machine-config.js';
import { planFly, type FlyPlan, type FlyPlanStep } from './plan.js';
import type { MachineProbe } from './probe.js';
import { watchStep, type SessionState, type StepSession } from './watch.js';

/** What the app ran before a deploy changed anything: what an undo returns the machines to. */
export interface FlyRelease {
  version: string | null;
  image: string | null;
  config: FlyMachineConfig | null;
  /** The app's machines then. */
  machineIds: string[];
}

export interface FlyStepOutcome {
  name: string;
  /** The weight reached: the new version's share of the app's machines after the step. */
  trafficPercentage: number;
  /** The weight the config asked for. */
  requestedPercentage: number;
  machines: number;
  total: number;
  durationMs: number;
  status: 'healthy' | 'failed' | 'not_started';
}

export interface FlyOutcome {
  status: 'succeeded' | 'failed';
  reason: string | null;
  plan: FlyPlan;
  steps: FlyStepOutcome[];
  evaluations: Evaluation[];
  revertedAt: number | null;
}

export interface FlyDeployDeps {
  fleet: Fleet;
  clock: Clock;
  cfg: FlyProviderConfig;
  rollout: RolloutConfig;
  version: string;
  env: Record<string, string>;
  metrics: MetricsSource | null;
  /** The direct probe of the new machines (through Fly's proxy); null when the config has none. */
  probe: MachineProbe | null;
  /** How long blue machines are kept stopped after a blue-green switch. */
  keepWarmMs: number;
  signal?: AbortSignal;
  /** The rollout session a person steers the rollout through (`shipgate promote|abort|pause|resume`), looked at every `pollMs` while a step is watched. */
  session?: { rollout: RolloutSession; id: string; pollMs: number; emit: StepSession['emit'] };
  emit: (type: 'rollout:step' | 'rollout:evaluation' | 'rollout:weights', data: Record<string, unknown>) => Promise<void>;
}

/** The release the app's machines run now. */
export function currentRelease(all: readonly FlyMachine[]): FlyRelease {
  const active = appMachines(all);
  const version = majorityVersion(active);
  const sample = active.find((m) => versionOf(m) === version) ?? active[0];
  return { version, image: sample?.config.image ?? null, config: sample?.config ?? null, machineIds: active.map((m) => m.id) };
}

/**
 * One deploy of `version` to the app's machines under the configured strategy,
 * step by step (machine counts), with the machines' checks and the metrics
 * source watched; a failure puts every changed machine back on `previous`.
 */
export class FlyDeploy {
  private readonly config: FlyMachineConfig;
  private readonly steps: FlyStepOutcome[] = [];
  private readonly evaluations: Evaluation[] = [];
  /** Machines now on the new version (updated or created by this run), in order. */
  private readonly moved: FlyMachine[] = [];
  private readonly created = new Set<string>();
  private failures = 0;
  private weight = 0;
  /** Blue-green: blue has been cordoned (the switch began). */
  private blueTouched = false;
  private readonly session: SessionState = { pausedBy: null, jumpToFull: false };

  constructor(
    private readonly deps: FlyDeployDeps,
    private readonly machines: FlyMachine[],
    private readonly previous: FlyRelease,
  ) {
    this.config = machineConfig(deps.cfg, deps.version, deps.env);
  }

  plan(): FlyPlan {
    const { cfg, rollout } = this.deps;
    const total = targetCount(this.machines.length, cfg.machines);
    const first = this.previous.version === null || this.previous.version === this.deps.version;
    return planFly(cfg.strategy, rollout, total, batchSize(cfg.maxUnavailable, total), first);
  }

  async run(): Promise<FlyOutcome> {
    const plan = this.plan();
    this.steps.push(...plan.steps.map((s) => ({ name: s.name, trafficPercentage: 0, requestedPercentage: s.requested, machines: 0, total: plan.total, durationMs: 0, status: 'not_started' as const })));
    for (const m of this.machines) await this.deps.fleet.lease(m.id);
    const session = this.deps.session;
    await session?.rollout.beginRollout({ id: session.id, stable: this.previous.version, candidate: this.deps.version, deadmanMs: 0 });
    let failure: string | null = null;
    for (let i = 0; i < plan.steps.length && failure === null; i++) {
      failure = await this.runStep(plan, i);
      // `promote --full`: straight to the last step (the whole fleet on the new version).
      if (this.session.jumpToFull && i < plan.steps.length - 2) i = plan.steps.length - 2;
    }
    if (failure === null) await this.finish(plan);
    let revertedAt: number | null = null;
    if (failure !== null) {
      await this.revert();
      revertedAt = this.deps.clock.now();
      await this.deps.emit('rollout:weights', { weights: this.weights(0), reason: `revert: ${failure}` });
    }
    await session?.rollout.endRollout(session.id);
    return { status: failure === null ? 'succeeded' : 'failed', reason: failure, plan, steps: this.steps, evaluations: this.evaluations, revertedAt };
  }

  private async runStep(plan: FlyPlan, index: number): Promise<string | null> {
    const step = plan.steps[index]!;
    const started = this.deps.clock.now();
    await this.deps.fleet.refreshLeases();
    await this.deps.emit('rollout:step', { step: step.name, status: 'started', trafficPercentage: step.reached, weights: this.weights(step.reached), durationMs: 0 });
    let failure: string | null = null;
    try {
      await this.act(plan, step);
      this.weight = step.reached;
      await this.deps.emit('rollout:weights', { weights: this.weights(this.weight), reason: `step ${step.name}: ${this.moved.length} of ${plan.total} machines on ${this.deps.version}` });
      if (step.analyse && (step.pauseMs === 'manual' || step.pauseMs > 0)) failure = await this.watch(step);
    } catch (err) {
      if (!(err instanceof InstancesFailed)) throw err;
      failure = `machines of ${this.deps.version} failed in step ${step.name}: ${err.message}`;
    }
    const outcome = this.steps[index]!;
    Object.assign(outcome, { trafficPercentage: this.weight, machines: this.moved.length, durationMs: this.deps.clock.now() - started, status: failure === null ? 'healthy' : 'failed' });
    await this.deps.emit('rollout:step', { step: step.name, status: failure === null ? 'finished' : 'failed', trafficPercentage: outcome.trafficPercentage, weights: this.weights(this.weight), durationMs: outcome.durationMs });
    return failure;
  }

  /** The traffic split a machine share amounts to (Fly's proxy spreads requests over registered machines). */
  private weights(reached: number): Record<string, number> {
    const stable = this.previous.version;
    if (stable === null || stable === this.deps.version) return { [this.deps.version]: 100 };
    const w: Record<string, number> = {};
    if (reached < 100) w[stable] = 100 - reached;
    if (reached > 0) w[this.deps.version] = reached;
    return w;
  }

  private async act(plan: FlyPlan, step: FlyPlanStep): Promise<void> {
    if (plan.strategy === 'bluegreen' && step.name === 'preview') return this.createGreen(plan.total);
    if (plan.strategy === 'bluegreen' && step.name === 'switch') return this.switchToGreen();
    await this.moveTo(step.count, plan.strategy !== 'immediate');
  }

  /**
   * Brings `count` machines onto the new version: updates existing ones in order,
   * creates the missing ones, then waits for them (started; with checks passing
   * unless `immediate`, which flyctl does not health-check).
   */
  private async moveTo(count: number, checks: boolean): Promise<void> {
    const batch: FlyMachine[] = [];
    const pending = this.machines.filter((m) => !this.moved.some((x) => x.id === m.id));
    while (this.moved.length + batch.length < count) {
      const next = pending.shift();
      const m = next ? await this.deps.fleet.update(next, this.config) : await this.createOne(this.moved.length + batch.length, false);
      batch.push(m);
    }
    this.moved.push(...batch);
    await Promise.all(batch.map((m) => (checks ? this.deps.fleet.waitReady(m) : this.deps.fleet.waitState(m, 'started'))));
  }

  private async createOne(index: number, cordoned: boolean): Promise<FlyMachine> {
    const regions = this.deps.cfg.regions;
    const m = await this.deps.fleet.create(this.config, regions[index % regions.length]!, cordoned);
    this.created.add(m.id);
    return m;
  }

  /** Blue-green: green machines created without service registration (cordoned), started, every check passing. */
  private async createGreen(total: number): Promise<void> {
    const green: FlyMachine[] = [];
    for (let i = 0; i < total; i++) green.push(await this.createOne(i, true));
    this.moved.push(...green);
    await Promise.all(green.map((m) => this.deps.fleet.waitReady(m)));
  }

  /** Uncordon green, then cordon and stop blue, marked as kept until the rollback window ends. */
  private async switchToGreen(): Promise<void> {
    const { fleet, clock, keepWarmMs } = this.deps;
    for (const m of this.moved) await fleet.uncordon(m.id);
    const until = new Date(clock.now() + keepWarmMs).toISOString();
    this.blueTouched = true;
    for (const m of this.machines) {
      await fleet.cordon(m.id);
      await fleet.stop(m.id);
      await fleet.setMetadata(m.id, STANDBY_KEY, until);
    }
    await Promise.all(this.machines.map((m) => fleet.waitState(m, 'stopped')));
  }

  private async watch(step: FlyPlanStep): Promise<string | null> {
    const { fleet, clock, rollout, metrics, signal } = this.deps;
    const ids = new Set(this.moved.map((m) => m.id));
    const result = await watchStep(
      step.name,
      this.deps.version,
      step.pauseMs,
      {
        clock,
        analysis: rollout.analysis,
        metrics,
        signal,
        machines: async () => (await fleet.client.list()).filter((m) => ids.has(m.id)),
        probe: this.deps.probe ?? undefined,
        tick: () => fleet.refreshLeases(),
        session: this.stepSession(),
        state: this.session,
        onEvaluation: (evaluation, failures) => this.deps.emit('rollout:evaluation', { evaluation, failures, failureLimit: rollout.analysis.failureLimit }),
      },
      this.failures,
    );
    this.failures = result.failures;
    this.evaluations.push(...result.evaluations);
    return result.failure;
  }

  /** The watch's view of the rollout session: each look is a heartbeat, with who sent each command. */
  private stepSession(): StepSession | undefined {
    const s = this.deps.session;
    if (!s) return undefined;
    return {
      pollMs: s.pollMs,
      emit: s.emit,
      take: async () => {
        const signals = await s.rollout.heartbeat(s.id);
        return signals.requests ?? signals.commands.map((command) => ({ command, by: 'unknown' }));
      },
    };
  }

  /** Machines above `max` (or left over from a smaller target) are destroyed once the new version runs everywhere. */
  private async finish(plan: FlyPlan): Promise<void> {
    if (plan.strategy === 'bluegreen') return;
    const extra = this.machines.filter((m) => !this.moved.some((x) => x.id === m.id));
    for (const m of extra) await this.deps.fleet.destroy(m.id);
  }

  /** Every machine this run changed goes back to the previous release; the ones it created are destroyed. */
  private async revert(): Promise<void> {
    const { fleet } = this.deps;
    const back: FlyMachine[] = [];
    for (const m of this.moved) {
      if (this.created.has(m.id)) await fleet.destroy(m.id);
      else if (this.previous.config) back.push(await fleet.update(m, this.previous.config));
    }
    if (this.blueTouched) back.push(...(await this.restoreBlue()));
    await Promise.all(back.map((m) => fleet.waitState(m, 'started')));
    this.weight = 0;
  }

  /** Blue machines started again (when stopped) and uncordoned; returns the ones started. */
  private async restoreBlue(): Promise<FlyMachine[]> {
    const { fleet } = this.deps;
    const started: FlyMachine[] = [];
    for (const m of this.machines) {
      const now = await fleet.client.get(m.id);
      if (now.state === 'stopped' || now.state === 'stopping') {
        if (now.state === 'stopping') await fleet.waitState(now, 'stopped');
        await fleet.start(m.id);
        started.push(now);
      }
      await fleet.uncordon(m.id);
    }
    return started;
  }
}

/** Kept blue machines of an earlier blue-green deploy, no longer a rollback target once a new release goes out. */
export function staleStandby(all: readonly FlyMachine[]): FlyMachine[] {
  return all.filter((m) => isStandby(m) && m.state !== 'destroyed' && m.state !== 'destroying');
}
