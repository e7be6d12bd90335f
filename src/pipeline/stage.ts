import type { z } from 'zod';
import type { LoadedConfig, ResolvedConfig } from '../config/load.js';
import type { EmergencyOverride } from '../gates/contract.js';
import type { Clock } from '../runtime/clock.js';
import type { HttpClient } from '../runtime/http.js';
import type { Runner } from '../runtime/process.js';
import type { Masker } from '../runtime/secrets.js';
import type { DeploymentKind, Store } from '../store/contract.js';
import type { Provider } from '../providers/contract.js';
import type { Journal } from './journal.js';
import type { RollbackFacts } from './rollback-type.js';

/** What a deployment is about; everything a stage needs to run or undo it, also after a crash. */
export interface DeploymentFacts {
  id: string;
  app: string;
  environment: string;
  kind: DeploymentKind;
  version: string;
  /** The version live before this deployment: what undo returns to. */
  previousVersion: string | null;
  actor: string;
  reason: string | null;
  gitSha: string | null;
  gitRef: string | null;
  emergency: EmergencyOverride | null;
  rollbackOf: string | null;
  /** How this deployment treats its databases (flags of the run; kept with it so a recovery does the same). */
  data: DataOptions;
  /** Rollbacks: the type and the data actions decided before it began (kept in its meta). Absent: an app rollback. */
  rollback?: RollbackFacts | null;
}

export interface DataOptions {
  /** Take the backups before migrating. @default true */
  backup: boolean;
  /** Skip migrations (--skip-migrations; recorded). @default false */
  skipMigrations: boolean;
  /** Let destructive statements through during a rollout with two versions live (--allow-destructive; recorded). @default false */
  allowDestructive: boolean;
}

export const DEFAULT_DATA_OPTIONS: DataOptions = { backup: true, skipMigrations: false, allowDestructive: false };

export interface StatePaths {
  /** Directory of the config file. */
  root: string;
  /** `<root>/.shipgate` */
  stateDir: string;
  releasesDir: string;
  recordsDir: string;
  /** `.shipgate/reports`: failure reports and rollback instructions. */
  reportsDir: string;
}

/** A command as it will run: shown by --dry-run with secrets masked. */
export interface PlannedCommand {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
}

export interface PlannedStep {
  step: string;
  detail: string;
  command?: PlannedCommand;
}

export interface ExecOptions {
  argv: string[];
  env?: Record<string, string>;
  cwd: string;
  timeoutMs: number;
}

/** What a stage is given. `step` and `exec` journal before and after. */
export interface StageContext {
  stage: string;
  facts: DeploymentFacts;
  config: ResolvedConfig;
  loaded: LoadedConfig;
  paths: StatePaths;
  store: Store;
  journal: Journal;
  provider: Provider;
  clock: Clock;
  http: HttpClient;
  run: Runner;
  masker: Masker;
  /** Aborts at the next safe point (SIGINT, deadline). Waits end at once. */
  signal: AbortSignal;
  /** Kills running commands (second SIGINT). */
  killSignal: AbortSignal;
  step<T>(name: string, fn: () => Promise<T>, detail?: string): Promise<T>;
  /** Runs a command as a step; output is masked and journaled; a failure throws StageFailed. */
  exec(step: string, opts: ExecOptions): Promise<void>;
  /** Journals part of this stage's output now (`stage:noted`), so an undo after a crash knows what was done so far. */
  note(output: Record<string, unknown>): Promise<void>;
  /** What an earlier stage of this deployment journaled as its output (null when it has none), read from the store. */
  outputOf(stage: string): Promise<Record<string, unknown> | null>;
}

export type PlanContext = Pick<StageContext, 'facts' | 'config' | 'loaded' | 'paths' | 'provider' | 'masker'>;

export interface UndoOutcome {
  /** False when there was nothing to undo (e.g. no previous version). */
  done: boolean;
  detail: string;
}

/** One stage of the saga: a `run` and, if it changes anything, an `undo` that is safe after a partial run. */
/** The schema of a stage's output: what `run` returns (and notes) must match it, and so must what `undo` reads back. */
export type StageOutputSchema = z.ZodType<Record<string, unknown>>;

export interface Stage {
  readonly name: string;
  /**
   * The stage's output, typed: checked before it is journaled, and again when an
   * undo (perhaps in another process, after a crash) reads it back. Without it the
   * output is free-form.
   */
  readonly output?: StageOutputSchema;
  plan(ctx: PlanContext): PlannedStep[];
  run(ctx: StageContext): Promise<Record<string, unknown> | void>;
  undo?(ctx: StageContext, output: Record<string, unknown> | null): Promise<UndoOutcome>;
}
