import { toMs, humanDuration } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import { BlockedByFailedRollback, DeadlineExceeded, RollbackFailed, RunInterrupted, UsageError, errorMessage } from '../errors.js';
import type { EmergencyOverride } from '../gates/contract.js';
import { checkVersionSafety } from '../gates/version.js';
import { createProvider } from '../providers/index.js';
import type { DeploymentKind, DeploymentRow } from '../store/contract.js';
import type { BaseContext } from './context.js';
import { statePaths, type PipelineDeps, type RunControl } from './deps.js';
import { finalize, type DeployResult } from './finalize.js';
import { newDeploymentId } from './ids.js';
import { Journal, eventContext } from './journal.js';
import { StoreUnavailable } from '../store/resilient.js';
import { acquireLock, startHeartbeat } from './lock.js';
import { stagesFor } from './plan.js';
import { factsFromRow, recoverDeployment } from './recovery.js';
import { executeSaga } from './saga.js';
import { appRollbackTarget, planRollback, type RollbackPlan } from './rollback-plan.js';
import type { RollbackType } from './rollback-type.js';
import { newestRecordedLive } from './records-evidence.js';
import { ackCommand, stopSignMessage } from './stop-sign.js';
import { judgeStore, type StoreDoubt } from './target-truth.js';
import { createOutboxRoute } from '../notify/route.js';
import { DEFAULT_DATA_OPTIONS, type DataOptions, type DeploymentFacts } from './stage.js';

export interface DeployRequest {
  version: string;
  actor: string;
  reason?: string | null;
  gitSha?: string | null;
  gitRef?: string | null;
  /** When the deployed commit was made (ISO-8601 UTC), kept as `meta.commitAt` for DORA's lead time. */
  commitAt?: string | null;
  /** `--emergency --reason`: overrides the window gate only; recorded. */
  emergency?: EmergencyOverride | null;
  /** Overrides `rollback.auto`. */
  autoRollback?: boolean;
  /** Backups, --skip-migrations, --allow-destructive. */
  data?: Partial<DataOptions>;
}

export interface RollbackRequest {
  /** Version to return to. @default the version live before the current one */
  to?: string | null;
  actor: string;
  reason?: string | null;
  /** Go past `rollback.window` (recorded). */
  force?: boolean;
  /** Overrides `rollback.auto` for this rollback's own failure. */
  autoRollback?: boolean;
  /** What goes back: the app, the migrations, a backup of the database, or `auto` (the app and the data the undo rules choose). @default 'app' */
  type?: RollbackType;
  /** One database (`--db`). @default every database the type concerns */
  database?: string | null;
  /** `migration`: revert at most this many, newest first. @default all the deployment applied */
  steps?: number | null;
  /** `database`: the backup id to restore. @default the backup the deployment being rolled back took */
  backup?: string | null;
}

export interface RunOutcome {
  /** Deployments of this environment that a dead process left unfinished, finished first. */
  recovered: DeployResult[];
  result: DeployResult | null;
}

/**
 * A store that stopped answering ends the run as interrupted: nothing more can be
 * journaled, so nothing more is done; the next command settles the deployment.
 */
function asInterruption(err: unknown, id: string): unknown {
  if (!(err instanceof StoreUnavailable)) return err;
  return new RunInterrupted(
    id,
    `interrupted: ${errorMessage(err)}. Deployment ${id} stops here, unfinished; its journal and lock are left as they are, and the next shipgate deploy, rollback or resume settles it (shipgate status shows it).`,
    { cause: err },
  );
}

/** Runs deployments of one app/environment: lock, recovery, saga, record. */
export class Pipeline {
  constructor(
    readonly loaded: LoadedConfig,
    private readonly deps: PipelineDeps,
  ) {}

  get app(): string {
    return this.loaded.config.app;
  }

  get environment(): string {
    return this.loaded.environment;
  }

  async deploy(req: DeployRequest, control: RunControl): Promise<RunOutcome> {
    const unsafe = checkVersionSafety(req.version);
    if (unsafe) throw new UsageError(unsafe);
    return this.locked(req.actor, control, async (id, recovered) => {
      const { previousVersion, warning } = await this.previousVersion();
      const data = { ...DEFAULT_DATA_OPTIONS, ...req.data };
      const facts = this.facts(id, 'deploy', req.version, previousVersion, req.actor, req.reason ?? null, { gitSha: req.gitSha ?? null, gitRef: req.gitRef ?? null, emergency: req.emergency ?? null, rollbackOf: null, data });
      const meta = { emergency: req.emergency ?? null, commitAt: req.commitAt ?? null, autoRollback: req.autoRollback ?? this.loaded.config.rollback.auto, approval: this.approvalRule('deploy'), data };
      return { recovered, result: await this.start(facts, meta, control, warning ? [warning] : []) };
    });
  }

  async rollback(req: RollbackRequest, control: RunControl): Promise<RunOutcome> {
    if (req.to) {
      const unsafe = checkVersionSafety(req.to);
      if (unsafe) throw new UsageError(unsafe);
    }
    return this.locked(req.actor, control, async (id, recovered) => {
      const plan = await this.planRollback(req);
      const facts = this.facts(id, 'rollback', plan.version, plan.live.version, req.actor, req.reason ?? null, { gitSha: null, gitRef: null, emergency: null, rollbackOf: plan.rollbackOf, data: DEFAULT_DATA_OPTIONS, rollback: plan.rollback });
      const meta = { forced: req.force === true, autoRollback: req.autoRollback ?? this.loaded.config.rollback.auto, approval: this.approvalRule('rollback'), rollback: plan.rollback };
      return { recovered, result: await this.start(facts, meta, control) };
    });
  }

  /** Finishes what a dead process left behind, and nothing else. */
  async resume(actor: string, control: RunControl): Promise<RunOutcome> {
    return this.locked(actor, control, async (_id, recovered) => ({ recovered, result: null }), { stopSign: false });
  }

  /**
   * What was live before this deployment: the store's word, unless the records
   * folder knows a later success (the store was lost, emptied or replaced by an
   * older copy). Then the records' version, with a warning that says so loudly:
   * starting from nothing would make the undo of a failure return to nothing.
   */
  private async previousVersion(): Promise<{ previousVersion: string | null; warning: string | null }> {
    const live = await this.deps.store.lastSucceeded(this.app, this.environment);
    const doubt = await this.storeDoubt(live);
    if (!doubt) return { previousVersion: live?.version ?? null, warning: null };
    return { previousVersion: doubt.recorded.version, warning: `${doubt.message}; ${doubt.recorded.version} is taken as the previous version (an undo returns to it)` };
  }

  private async storeDoubt(live: DeploymentRow | undefined): Promise<StoreDoubt | null> {
    const recorded = await newestRecordedLive(statePaths(this.loaded).recordsDir, this.app, this.environment);
    return judgeStore(live ? { id: live.id, version: live.version } : null, recorded, `${this.app}/${this.environment}`);
  }

  /** The provider's refusal of a target it cannot act on safely, before recovery or anything else touches it. */
  private async preflight(): Promise<void> {
    await createProvider(this.loaded.config.provider, this.loaded.config.rollout).preflight?.({ root: this.loaded.root, environment: this.environment });
  }

  /** The stop sign: an unacknowledged `rollback_failed` refuses every deploy and rollback of the environment. */
  private async refuseOnStopSign(): Promise<void> {
    const failures = await this.deps.store.listUnacknowledgedFailures(this.app, this.environment);
    if (failures.length > 0) throw new BlockedByFailedRollback(stopSignMessage(this.app, this.environment, failures), failures.map((f) => f.id));
  }

  /** Stored with the deployment so `shipgate approve` applies the rule the deployment waits under. */
  private approvalRule(kind: DeploymentKind): Record<string, unknown> | null {
    const rule = this.loaded.config.gates.approval;
    return rule && (kind === 'deploy' || rule.applyToRollback) ? { ...rule } : null;
  }

  private facts(id: string, kind: DeploymentKind, version: string, previousVersion: string | null, actor: string, reason: string | null, rest: Pick<DeploymentFacts, 'gitSha' | 'gitRef' | 'emergency' | 'rollbackOf' | 'data' | 'rollback'>): DeploymentFacts {
    return { id, app: this.app, environment: this.environment, kind, version, previousVersion, actor, reason, ...rest };
  }

  /** Takes the lock, finishes interrupted deployments, checks the stop sign (unless told not to), runs `fn`, always releases. */
  private async locked(actor: string, control: RunControl, fn: (id: string, recovered: DeployResult[]) => Promise<RunOutcome>, opts: { stopSign: boolean } = { stopSign: true }): Promise<RunOutcome> {
    const { store, clock, identity } = this.deps;
    const id = newDeploymentId(clock.now());
    const lock = await acquireLock({ app: this.app, environment: this.environment, deploymentId: id, holder: actor, identity, waitMs: control.lockWaitMs, signal: control.signal }, { store, clock });
    const stop = startHeartbeat(lock.row, store, clock, (err) => process.emitWarning(`lock heartbeat failed: ${(err as Error).message}`));
    let current = id;
    try {
      await this.preflight();
      const recovered: DeployResult[] = [];
      for (const row of await store.listUnfinished(this.app, this.environment)) {
        current = row.id;
        const why = lock.tookOverFrom?.deploymentId === row.id ? `its process (pid ${row.meta.pid ?? lock.tookOverFrom.pid} on ${lock.tookOverFrom.host}) is gone` : 'its process is gone';
        recovered.push(await recoverDeployment(row, this.base(factsFromRow(row), control), why, identity.host));
      }
      current = id;
      const stuck = recovered.find((r) => r.status === 'rollback_failed');
      if (stuck) {
        throw new RollbackFailed(
          `interrupted deployment ${stuck.deploymentId} (${stuck.version}) could not be undone: ${stuck.error}. ` +
            `Not starting anything on top of an unknown state: fix ${this.app}/${this.environment} by hand (shipgate show ${stuck.deploymentId} --events), then ${ackCommand(stuck.deploymentId)}, and deploy the version you trust.`,
        );
      }
      if (opts.stopSign) await this.refuseOnStopSign();
      return await fn(id, recovered);
    } catch (err) {
      throw asInterruption(err, current);
    } finally {
      stop();
      // After a store outage this is one last try: a lock left behind is taken over by the next command.
      await store.releaseLock(this.app, this.environment, id).catch((err: unknown) => {
        if (!(err instanceof StoreUnavailable)) throw err;
      });
    }
  }

  private async start(facts: DeploymentFacts, meta: Record<string, unknown>, control: RunControl, warnings: string[] = []): Promise<DeployResult> {
    const { store, clock, identity } = this.deps;
    const stages = stagesFor(facts.kind, this.loaded.config, facts.rollback?.type);
    await store.createDeployment({ ...facts, triggeredBy: facts.actor, status: 'running', startedAt: new Date(clock.now()).toISOString(), meta: { ...meta, pid: identity.pid, host: identity.host } });
    const base = this.base(facts, control);
    const deadline = this.deadline(control, base);
    try {
      await base.journal.append('deploy:started', { deploymentId: facts.id, app: facts.app, environment: facts.environment, version: facts.version, kind: facts.kind, previousVersion: facts.previousVersion, stages: stages.map((s) => s.name) });
      for (const message of warnings) await base.journal.append('deploy:warning', { deploymentId: facts.id, message });
      const outcome = await executeSaga(stages, deadline.base, { fromIndex: 0, autoRollback: meta.autoRollback !== false });
      return await finalize(base, outcome);
    } finally {
      deadline.clear();
    }
  }

  /**
   * When the deployment runs too long, aborts both signals with DeadlineExceeded:
   * the step under way stops (a hanging script is killed) and the saga undoes
   * what began. The undo itself runs on calm signals (see executeSaga).
   */
  private deadline(control: RunControl, base: BaseContext): { base: BaseContext; clear: () => void } {
    const ms = control.timeoutMs ?? (this.loaded.config.timeout ? toMs(this.loaded.config.timeout) : undefined);
    if (ms === undefined) return { base, clear: () => undefined };
    const expired = new AbortController();
    const cleared = new AbortController();
    this.deps.clock.sleep(ms, cleared.signal).then(
      () => expired.abort(new DeadlineExceeded(`the deployment ran past its deadline of ${humanDuration(ms)}`)),
      () => undefined, // cleared: the deployment ended in time
    );
    return {
      base: { ...base, signal: AbortSignal.any([control.signal, expired.signal]), killSignal: AbortSignal.any([control.killSignal, expired.signal]) },
      clear: () => cleared.abort(),
    };
  }

  base(facts: DeploymentFacts, control: Pick<RunControl, 'signal' | 'killSignal'>): BaseContext {
    const { store, clock, http, run, bus, env } = this.deps;
    const { config, masker } = this.loaded;
    return {
      facts,
      config,
      loaded: this.loaded,
      paths: statePaths(this.loaded),
      store,
      journal: new Journal(store, bus, clock, masker, eventContext(facts), env, undefined, createOutboxRoute(config.notify)),
      provider: createProvider(config.provider, config.rollout),
      clock,
      http,
      run,
      masker,
      signal: control.signal,
      killSignal: control.killSignal,
    };
  }

  /** What `shipgate rollback` returns to, and whether the window still allows it. */
  rollbackTarget(req: Pick<RollbackRequest, 'to' | 'force'>): Promise<{ live: DeploymentRow; target: string }> {
    return appRollbackTarget(this.loaded, this.deps.store, this.deps.clock.now(), req);
  }

  /** A rollback of any type, decided before it starts (also what --dry-run shows). */
  planRollback(req: Omit<RollbackRequest, 'actor'>): Promise<RollbackPlan> {
    return planRollback(this.loaded, this.deps.store, this.deps.clock.now(), req);
  }
}
