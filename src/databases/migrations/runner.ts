import type { AppliedMigration, MigrationFile, SqlClient } from '../contract.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { dialectFor, type Dialect } from './dialect.js';
import { MigrationError } from './errors.js';
import { createHistoryTable, TABLE_NAME_RE, type HistoryTable } from './history.js';
import { downTargets, driftOf, pendingOf, sortHistory, type DownRequest, type MigrationProblem } from './plan.js';

/**
 * The builtin migration runner over one SqlClient. `up` and `down` hold the
 * engine's lock (see dialect.ts) and read the history under it, so runners
 * started together apply each migration once. `status` and `validate` only
 * read, without the lock and without creating the table, so they answer while a
 * long migration runs (showing it pending until it commits).
 */

export interface MigrationRunnerOptions {
  client: SqlClient;
  /** The folder's files, in order (readMigrationFiles). */
  files: readonly MigrationFile[];
  /** History table name (letters, digits, `_`). */
  table: string;
  /** Recorded with each applied migration. */
  deploymentId?: string;
  /** @default systemClock */
  clock?: Clock;
  /** How long to wait for another runner's lock. @default DEFAULT_LOCK_TIMEOUT_MS */
  lockTimeoutMs?: number;
}

export interface MigrationStatus {
  /** History rows, in migration order. */
  applied: AppliedMigration[];
  pending: MigrationFile[];
  drift: MigrationProblem[];
}

export interface UpOptions {
  /** Called after each migration commits, before the next starts (the pipeline journals it). */
  onApplied?: (row: AppliedMigration) => void | Promise<void>;
}

export interface MigrationRunner {
  status(): Promise<MigrationStatus>;
  /** The drift problems (empty when the history matches the files). */
  validate(): Promise<MigrationProblem[]>;
  /** Applies every pending migration in order; refuses to start on drift. Returns the rows it added. */
  up(opts?: UpOptions): Promise<AppliedMigration[]>;
  /** Reverts the last `steps` (default 1) or the `names`, newest first. Returns the names reverted. */
  down(req?: DownRequest): Promise<string[]>;
}

export function createMigrationRunner(opts: MigrationRunnerOptions): MigrationRunner {
  if (!TABLE_NAME_RE.test(opts.table)) throw new MigrationError(`history table "${opts.table}": expected a table name of letters, digits and "_"`);
  const ctx: RunnerContext = { ...opts, clock: opts.clock ?? systemClock, history: createHistoryTable(opts.client, opts.table), dialect: dialectFor(opts.client, opts.table, opts.lockTimeoutMs) };
  const status = async (): Promise<MigrationStatus> => statusOf(ctx.files, (await ctx.history.readIfExists()) ?? []);
  return {
    status,
    validate: async () => (await status()).drift,
    up: (up = {}) => locked(ctx, () => applyPending(ctx, up)),
    down: (req = {}) => locked(ctx, () => revert(ctx, req)),
  };
}

interface RunnerContext extends MigrationRunnerOptions {
  clock: Clock;
  history: HistoryTable;
  dialect: Dialect;
}

/** The run-wide lock, then the history table: creating it under the lock keeps concurrent first runs from racing. */
function locked<T>(ctx: RunnerContext, fn: () => Promise<T>): Promise<T> {
  return ctx.dialect.exclusive(async () => {
    await ctx.history.ensure();
    return fn();
  });
}

function statusOf(files: readonly MigrationFile[], history: AppliedMigration[]): MigrationStatus {
  return { applied: sortHistory(history), pending: pendingOf(files, history), drift: driftOf(files, history) };
}

async function applyPending(ctx: RunnerContext, opts: UpOptions): Promise<AppliedMigration[]> {
  const added: AppliedMigration[] = [];
  for (;;) {
    const row = await ctx.dialect.atomic(() => applyNext(ctx));
    if (!row) return added;
    added.push(row);
    await opts.onApplied?.(row);
  }
}

/** Inside the transaction (SQLite's write lock): re-read the history, apply the first pending file, record it. */
async function applyNext(ctx: RunnerContext): Promise<AppliedMigration | null> {
  const history = await ctx.history.read();
  const drift = driftOf(ctx.files, history);
  if (drift.length > 0) throw new MigrationError(`refusing to migrate: the history does not match the files:\n${drift.map((d) => `  ${d.message}`).join('\n')}`);
  const next = pendingOf(ctx.files, history)[0];
  if (!next) return null;
  const started = ctx.clock.now();
  await ctx.dialect.runFile(`${next.name}.up.sql`, next.up);
  const row: AppliedMigration = { name: next.name, sha256: next.sha256, appliedAt: new Date(started).toISOString(), durationMs: Math.max(0, Math.round(ctx.clock.now() - started)), deploymentId: ctx.deploymentId ?? null };
  await ctx.history.record(row);
  return row;
}

async function revert(ctx: RunnerContext, req: DownRequest): Promise<string[]> {
  const targets = downTargets(ctx.files, await ctx.history.read(), req);
  const reverted: string[] = [];
  for (const file of targets) {
    if (await ctx.dialect.atomic(() => revertOne(ctx, file))) reverted.push(file.name);
  }
  return reverted;
}

/** Skips a migration another runner reverted meanwhile (SQLite has no run-wide lock). */
async function revertOne(ctx: RunnerContext, file: MigrationFile): Promise<boolean> {
  if (!(await ctx.history.read()).some((h) => h.name === file.name)) return false;
  await ctx.dialect.runFile(`${file.name}.down.sql`, file.down!);
  await ctx.history.remove(file.name);
  return true;
}
