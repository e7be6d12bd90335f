import { MAX_DURATION, MAX_DURATION_MS } from '../config/duration.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { NotFound, UsageError } from '../errors.js';
import type { GateResult } from '../gates/contract.js';
import { probeTarget, type ProbeResult } from '../health/probe.js';
import { runSmokeTest, type SmokeResult } from '../health/smoke.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { fetchHttp, type HttpClient } from '../runtime/http.js';
import { processRunner, type Runner } from '../runtime/process.js';
import { currentIdentity } from '../runtime/process-identity.js';
import { resolveActor } from '../runtime/actor.js';
import { toMs } from '../config/duration.js';
import type { Store } from '../store/contract.js';
import { openExistingStore } from '../store/index.js';
import { wire, type Wiring } from './wiring.js';
import { Pipeline, type RunOutcome } from './deployment.js';
import { dryRun, type DryRunPlan } from './dry-run.js';
import { readEnvironmentStatus, type EnvironmentStatus } from './environment-status.js';
import { EventBus, type AnyLifecycleEvent, type EventContext } from './events.js';
import type { DeployResult } from './finalize.js';
import { checkGates } from './gate-check.js';
import type { DeploymentRecord } from './record.js';
import { createProvider } from '../providers/index.js';
import { acknowledgeFailure, type AcknowledgeResult } from './acknowledge.js';
import { statePaths } from './deps.js';
import { checkRollbackFlags, type RollbackType } from './rollback-type.js';
import type { BackupManifest } from '../databases/catalog.js';
import { givenCommitAt } from './commit-time.js';

export interface DeploymentManagerOptions {
  /** Environment to act on; may be omitted when the config has only one. */
  environment?: string;
  /** Evaluate the gates and describe the plan; change nothing. @default false */
  dryRun?: boolean;
  /** Deploy without running the databases' migrations (recorded). @default false */
  skipMigrations?: boolean;
  /** Deadline of a deployment in milliseconds. @default the config's `timeout` */
  timeout?: number;
  /** Take the databases' backups before migrating; false skips them (recorded). @default true */
  backupEnabled?: boolean;
  /** Ask `confirm(plan)` before changing anything. @default false */
  requireConfirmation?: boolean;
  /** Asked when `requireConfirmation` is set; false cancels before anything changes. */
  confirm?: (plan: DryRunPlan) => boolean | Promise<boolean>;
  /** Undo on failure. @default the config's `rollback.auto` */
  autoRollback?: boolean;
  /** @default "shipgate.yaml" in `cwd` */
  configPath?: string;
  /** @default process.cwd() */
  cwd?: string;
  /** Source of `${VAR}` and of CI facts. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Who acts. @default $SHIPGATE_ACTOR, $USER */
  actor?: string;
  /** Effects, injectable for tests. */
  clock?: Clock;
  http?: HttpClient;
  run?: Runner;
}

export interface DeployOptions {
  /** @default the tag CI is building */
  version?: string;
  reason?: string;
  emergency?: { reason: string };
  sha?: string;
  ref?: string;
  /** When the deployed commit was made (ISO-8601 with a zone), for DORA's lead time. @default $SHIPGATE_COMMIT_AT, else unknown */
  commitAt?: string;
  lockWaitMs?: number;
  signal?: AbortSignal;
  /** Let destructive migration statements through while two versions are live (recorded). @default false */
  allowDestructive?: boolean;
}

export interface RollbackOptions {
  /** What goes back (`shipgate rollback --type`): the app, the migrations, a database backup, or auto (the app, then the data). @default 'app' */
  type?: RollbackType;
  /** One database (types migration, database, auto). @default every database the type concerns */
  database?: string;
  /** Type migration: revert at most this many, newest first. @default all the deployment applied */
  steps?: number;
  /** Type database: the backup id to restore. @default the backup the deployment took */
  backup?: string;
  to?: string;
  reason?: string;
  force?: boolean;
  lockWaitMs?: number;
  signal?: AbortSignal;
}

export interface DeploymentResult {
  success: boolean;
  dryRun: boolean;
  status: DeployResult['status'] | 'dry_run' | 'not_confirmed';
  deploymentId: string | null;
  version: string;
  previousVersion: string | null;
  error: string | null;
  record: DeploymentRecord | null;
  recordPath: string | null;
  plan: DryRunPlan | null;
  /** Interrupted deployments this call finished first. */
  recovered: DeployResult[];
}

export interface PreDeploymentResult {
  ok: boolean;
  gates: GateResult[];
}

export interface VerificationResult {
  healthy: boolean;
  health: ProbeResult | null;
  smoke: SmokeResult[];
}

const KNOWN_OPTIONS = new Set(['environment', 'dryRun', 'skipMigrations', 'timeout', 'backupEnabled', 'requireConfirmation', 'confirm', 'autoRollback', 'configPath', 'cwd', 'env', 'actor', 'clock', 'http', 'run']);

/** Checks options at the library's entry point; errors name the option. */
export function validateManagerOptions(o: DeploymentManagerOptions): void {
  const unknown = Object.keys(o).filter((k) => !KNOWN_OPTIONS.has(k));
  if (unknown.length > 0) throw new UsageError(`DeploymentManager: unknown option(s) ${unknown.join(', ')}`);
  if (o.timeout !== undefined && !(Number.isFinite(o.timeout) && o.timeout > 0 && o.timeout <= MAX_DURATION_MS)) {
    throw new UsageError(`DeploymentManager: timeout must be a positive number of milliseconds, at most ${MAX_DURATION_MS} (${MAX_DURATION}) (got ${String(o.timeout)})`);
  }
  if (o.requireConfirmation && !o.confirm) throw new UsageError('DeploymentManager: requireConfirmation needs a confirm(plan) function');
  for (const k of ['dryRun', 'skipMigrations', 'backupEnabled', 'requireConfirmation', 'autoRollback'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new UsageError(`DeploymentManager: ${k} must be true or false (got ${JSON.stringify(o[k])})`);
  }
}

/** The library API: the same pipeline as the CLI, with typed results. */
export class DeploymentManager {
  readonly events = new EventBus();
  private loadedConfig: LoadedConfig | undefined;
  private wiringPromise: Promise<Wiring> | undefined;

  constructor(private readonly options: DeploymentManagerOptions = {}) {
    validateManagerOptions(options);
  }

  get loaded(): LoadedConfig {
    this.loadedConfig ??= loadConfig({ configPath: this.options.configPath, cwd: this.options.cwd, environment: this.options.environment, env: this.options.env });
    return this.loadedConfig;
  }

  private get actor(): string {
    return resolveActor(this.options.actor, this.options.env ?? process.env);
  }

  /** Store, bus and journals, wired the same way as the CLI's (the store opened on first use). */
  private wiring(store?: Store): Promise<Wiring> {
    const o = this.options;
    const { url, retry } = this.loaded.config.store;
    this.wiringPromise ??= wire({ storeUrl: url, root: this.loaded.root, storeRetryMs: toMs(retry), store, bus: this.events, env: o.env ?? process.env, ...this.effects() });
    return this.wiringPromise;
  }

  private async store(): Promise<Store> {
    return (await this.wiring()).store;
  }

  private async pipeline(): Promise<Pipeline> {
    return new Pipeline(this.loaded, (await this.wiring()).deps);
  }

  async deploy(opts: DeployOptions = {}): Promise<DeploymentResult> {
    const env = this.options.env ?? process.env;
    const version = opts.version ?? (env.GITHUB_REF_TYPE === 'tag' ? env.GITHUB_REF_NAME : undefined);
    if (!version) throw new UsageError('deploy: no version given (pass { version: "v1.2.3" })');
    const request = {
      version,
      actor: this.actor,
      reason: opts.reason ?? null,
      gitSha: opts.sha ?? env.GITHUB_SHA ?? null,
      gitRef: opts.ref ?? env.GITHUB_REF ?? null,
      commitAt: givenCommitAt(opts.commitAt, env),
      emergency: opts.emergency ? { by: this.actor, reason: opts.emergency.reason } : null,
      autoRollback: this.options.autoRollback,
      data: { backup: this.options.backupEnabled !== false, skipMigrations: this.options.skipMigrations === true, allowDestructive: opts.allowDestructive === true },
    };
    if (this.options.dryRun || this.options.requireConfirmation) {
      const answer = await this.planFirst(await dryRun(this.loaded, await this.existingStore(), request, this.effects()));
      if (answer) return answer;
    }
    return this.run((p, control) => p.deploy(request, control), opts);
  }

  /** Rolls back by `type` (default: redeploys the previous release, or `to`); honours dryRun, requireConfirmation and autoRollback like deploy(). */
  async rollback(options: RollbackOptions = {}): Promise<DeploymentResult> {
    const o = options;
    // The same checks as the CLI's flags, so the library's errors read the same.
    const choice = checkRollbackFlags({ type: o.type, to: o.to, db: o.database, steps: o.steps === undefined ? undefined : String(o.steps), backup: o.backup });
    const request = { to: o.to ?? null, actor: this.actor, reason: o.reason ?? null, force: o.force, autoRollback: this.options.autoRollback, ...choice };
    if (this.options.dryRun || this.options.requireConfirmation) {
      const store = await this.existingStore();
      if (!store) throw new NotFound(`nothing to roll back: ${this.loaded.config.app}/${this.loaded.environment} has no deployment yet`);
      const r = await (await this.pipeline()).planRollback(request);
      const plan = await dryRun(this.loaded, store, { kind: 'rollback', version: r.version, previousVersion: r.live.version, rollbackOf: r.rollbackOf, actor: this.actor, reason: request.reason, rollback: r.rollback }, this.effects());
      const answer = await this.planFirst(plan);
      if (answer) return answer;
    }
    return this.run((p, control) => p.rollback(request, control), options);
  }

  /** With dryRun: the plan is the answer. With requireConfirmation: null when confirmed. */
  private async planFirst(plan: DryRunPlan): Promise<DeploymentResult | null> {
    if (this.options.dryRun) return planResult(plan, 'dry_run');
    return (await this.options.confirm!(plan)) ? null : planResult(plan, 'not_confirmed');
  }

  /** The store if it exists; a dry run must not create it. */
  private async existingStore(): Promise<Store | null> {
    if (this.wiringPromise) return this.store();
    const store = await openExistingStore(this.loaded.config.store.url, { root: this.loaded.root });
    return store ? (await this.wiring(store)).store : null;
  }

  /** Evaluates every gate for `version` without deploying (at `at`, for the window). */
  async validatePreDeployment(opts: { version: string; at?: Date | string; sha?: string }): Promise<PreDeploymentResult> {
    const at = opts.at === undefined ? null : new Date(opts.at).getTime();
    if (at !== null && Number.isNaN(at)) throw new UsageError(`validatePreDeployment: at must be a date (got ${String(opts.at)})`);
    // The secrets gate scans the commits since the live version.
    const store = this.loaded.config.gates.secrets ? await this.existingStore() : null;
    const row = store ? await store.lastSucceeded(this.loaded.config.app, this.loaded.environment) : undefined;
    const live = row ? { version: row.version, sha: row.gitSha } : null;
    const gates = await checkGates(this.loaded, { version: opts.version, actor: this.actor, gitSha: opts.sha ?? null, at, live }, this.effects());
    return { ok: !gates.some((g) => g.result === 'block'), gates };
  }

  /** Checks what is live now: the provider's health target and the smoke tests. */
  async verifyDeployment(): Promise<VerificationResult> {
    const { clock, http } = this.effects();
    const target = createProvider(this.loaded.config.provider, this.loaded.config.rollout).health;
    const health = target ? await probeTarget(target, { http, clock }) : null;
    const smoke: SmokeResult[] = [];
    for (const t of this.loaded.config.smoke) smoke.push(await runSmokeTest(t, { http, clock }));
    return { healthy: (health?.healthy ?? true) && smoke.every((s) => s.passed), health, smoke };
  }

  /**
   * After a person has looked at a `rollback_failed` deployment and put the target
   * right: records who and why, and lets deploys and rollbacks of its environment
   * start again (they throw BlockedByFailedRollback until then).
   */
  async acknowledge(opts: { deploymentId: string; reason: string }): Promise<AcknowledgeResult> {
    const w = await this.wiring();
    const deps = { store: w.store, clock: this.effects().clock, masker: this.loaded.masker, journal: (context: EventContext) => w.journal(context, this.loaded.masker), recordsDir: statePaths(this.loaded).recordsDir };
    return acknowledgeFailure(this.loaded.config.app, { deploymentId: opts.deploymentId, by: this.actor, reason: opts.reason }, deps);
  }

  /** Takes and proves a backup of each database (or `database`), outside a deployment; returns each backup's manifest (without the checksums). */
  async createBackup(opts: { database?: string } = {}): Promise<Omit<BackupManifest, 'fingerprints' | 'fingerprintVersion'>[]> {
    const { selectDatabases, takeBackup } = await import('../databases/manual.js');
    const made: Omit<BackupManifest, 'fingerprints' | 'fingerprintVersion'>[] = [];
    for (const [name, db] of selectDatabases(this.loaded, opts.database)) {
      const { fingerprints: _f, fingerprintVersion: _v, ...manifest } = await takeBackup(this.loaded, name, db, 'manual', this.effects().clock);
      made.push(manifest);
    }
    return made;
  }

  /** Applies pending migrations of each database (or `database`) outside a deployment; returns what each applied. */
  async runMigrations(opts: { database?: string } = {}): Promise<{ database: string; applied: string[] }[]> {
    const { migrateUp } = await import('../databases/manual.js');
    return migrateUp(this.loaded, opts.database);
  }

  async status(): Promise<EnvironmentStatus> {
    const { app, rollback } = this.loaded.config;
    return readEnvironmentStatus(await this.store(), { app, environment: this.loaded.environment, me: currentIdentity(), nowMs: this.effects().clock.now(), rollbackWindow: rollback.window, recordsDir: statePaths(this.loaded).recordsDir });
  }

  /**
   * The durable read of the journal, for a consumer in another process (a notifier, a
   * dashboard): every event of this app after `cursor` (a `seq`; 0 for the beginning),
   * oldest first, with its context. Keep the returned `cursor` and ask again from it:
   * every event arrives at least once.
   */
  async eventsAfter(cursor = 0, limit?: number): Promise<{ events: (AnyLifecycleEvent & { seq: number })[]; cursor: number }> {
    const rows = await (await this.store()).listEventsAfter(cursor, { app: this.loaded.config.app, ...(limit === undefined ? {} : { limit }) });
    const events = rows.map((r) => ({ ...(r.data as object), type: r.type, at: r.at, context: r.context, seq: r.seq }) as AnyLifecycleEvent & { seq: number });
    return { events, cursor: rows.at(-1)?.seq ?? cursor };
  }

  /** Waits (bounded) for subscribers still at work, then closes the store. */
  async close(): Promise<void> {
    if (this.wiringPromise) await (await this.wiringPromise).close();
    this.wiringPromise = undefined;
  }

  private effects() {
    return { clock: this.options.clock ?? systemClock, http: this.options.http ?? fetchHttp, run: this.options.run ?? processRunner };
  }

  private async run(act: (p: Pipeline, control: Parameters<Pipeline['deploy']>[1]) => Promise<RunOutcome>, opts: { signal?: AbortSignal; lockWaitMs?: number }): Promise<DeploymentResult> {
    const signal = opts.signal ?? new AbortController().signal;
    const outcome = await act(await this.pipeline(), { signal, killSignal: signal, lockWaitMs: opts.lockWaitMs, timeoutMs: this.options.timeout });
    const r = outcome.result;
    if (!r) return { success: true, dryRun: false, status: 'succeeded', deploymentId: null, version: '', previousVersion: null, error: null, record: null, recordPath: null, plan: null, recovered: outcome.recovered };
    return { success: r.status === 'succeeded', dryRun: false, status: r.status, deploymentId: r.deploymentId, version: r.version, previousVersion: r.previousVersion, error: r.error, record: r.record, recordPath: r.recordPath, plan: null, recovered: outcome.recovered };
  }
}

function planResult(plan: DryRunPlan, status: 'dry_run' | 'not_confirmed'): DeploymentResult {
  const blocked = plan.gates.find((g) => g.result === 'block');
  return { success: !blocked, dryRun: status === 'dry_run', status, deploymentId: null, version: plan.facts.version, previousVersion: plan.facts.previousVersion, error: blocked ? `blocked by gate "${blocked.name}": ${blocked.reason}` : null, record: null, recordPath: null, plan, recovered: [] };
}
