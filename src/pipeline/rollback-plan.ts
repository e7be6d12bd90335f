import { resolve } from 'node:path';
import { humanDuration, toMs } from '../config/duration.js';
import type { LoadedConfig } from '../config/load.js';
import type { DatabaseConfig } from '../config/schema/databases.js';
import { findBackup, type BackupManifest } from '../databases/catalog.js';
import { canDecrypt, configuredEncryption, encryptionOf } from '../databases/encryption.js';
import { backupFolderOf, selectDatabases } from '../databases/manual.js';
import { readMigrationFiles } from '../databases/migrations/files.js';
import { GateBlocked, NotFound, UsageError } from '../errors.js';
import type { DeploymentRow, Store } from '../store/contract.js';
import { decideAutoData, decideDatabaseRollback, decideMigrationRollback, type DataDecision } from './data-rollback.js';
import { statePaths } from './deps.js';
import { rollbackDeadlineMs } from './environment-status.js';
import { newestRecordedLive } from './records-evidence.js';
import { plainRollbackTarget } from './rollback-target.js';
import { appLive } from './app-live.js';
import { isDataOnly, type DataUndoAction, type RollbackChoice, type RollbackFacts } from './rollback-type.js';
import { deriveSagaState } from './saga-state.js';
import { BackupStageOutputSchema, type BackupStageOutput } from './stages/backup-output.js';
import { MigrateStageOutputSchema } from './stages/migrate-output.js';
import { judgeStore } from './target-truth.js';

/**
 * Looks up what a data rollback needs (read-only: history tables, migration
 * files, the journal of the deployment being rolled back, the backup catalog)
 * and turns it into actions with the pure rules of data-rollback.ts. Used by
 * the rollback itself (under the lock) and by `--dry-run` (no lock, no change).
 */

/** The deployment whose data a rollback undoes: the live deploy, or the deploy an app rollback rolled away from. */
export async function subjectOf(store: Store, live: DeploymentRow): Promise<DeploymentRow> {
  let current = live;
  for (let hops = 0; current.kind === 'rollback' && hops < 1000; hops++) {
    const from = current.rollbackOf ? await store.getDeployment(current.rollbackOf) : undefined;
    if (!from) throw new NotFound(`the live deployment ${live.id} is a rollback whose rolled-back deployment ${current.rollbackOf ?? '(none)'} is not in the store: nothing to roll the data of back`);
    current = from;
  }
  return current;
}

interface Stage {
  backups: BackupStageOutput['backups'];
  migrated: Record<string, { began: boolean; applied: string[] }>;
}

async function stageOutputs(store: Store, subject: DeploymentRow): Promise<Stage> {
  const state = deriveSagaState(await store.listEvents(subject.id));
  const backup = BackupStageOutputSchema.safeParse(state.stages.get('backup')?.output ?? {});
  const migrate = MigrateStageOutputSchema.safeParse(state.stages.get('migrate')?.output ?? {});
  return { backups: backup.success ? backup.data.backups : [], migrated: migrate.success ? migrate.data.databases : {} };
}

interface MigrationFacts {
  history: string[];
  applied: string[];
  withoutDown: string[];
}

/** From the history table (it names the deployment that applied each migration) and the files; `tool: command` from the journal. */
async function migrationFacts(loaded: LoadedConfig, name: string, db: DatabaseConfig, subject: DeploymentRow, stage: Stage): Promise<MigrationFacts> {
  const m = db.migrations!;
  if (m.tool === 'command') {
    const applied = stage.migrated[name]?.began ? ['(migrate command)'] : [];
    return { history: applied, applied, withoutDown: m.down ? [] : applied };
  }
  const { openMigrations } = await import('../databases/migrations/index.js');
  const opened = await openMigrations(db, loaded.root, { name });
  try {
    const status = opened.tool === 'builtin' ? await opened.status() : null;
    const rows = status?.applied ?? [];
    const files = await readMigrationFiles(resolve(loaded.root, m.dir));
    const applied = rows.filter((r) => r.deploymentId === subject.id).map((r) => r.name);
    return { history: rows.map((r) => r.name), applied, withoutDown: applied.filter((n) => !files.find((f) => f.name === n)?.down) };
  } finally {
    await opened.close();
  }
}

const withMigrations = (db: DatabaseConfig): string | null => (db.migrations ? null : 'has no migrations section');

async function migrationDecisions(loaded: LoadedConfig, choice: RollbackChoice, subject: DeploymentRow, stage: Stage): Promise<DataDecision[]> {
  const out: DataDecision[] = [];
  for (const [name, db] of selectDatabases(loaded, choice.database ?? undefined, withMigrations)) {
    if (choice.steps !== null && db.migrations!.tool === 'command') throw new UsageError(`--steps: databases.${name} uses migrations.tool command, whose down command decides what it reverts; leave --steps out`);
    const f = await migrationFacts(loaded, name, db, subject, stage);
    out.push(decideMigrationRollback({ database: name, subject: subject.id, ...f, steps: choice.steps }));
  }
  return out;
}

async function autoDecisions(loaded: LoadedConfig, choice: RollbackChoice, subject: DeploymentRow, stage: Stage): Promise<DataDecision[]> {
  const dbs = Object.entries(loaded.config.databases ?? {}).filter(([n, db]) => db.migrations && (choice.database === null || n === choice.database));
  const out: DataDecision[] = [];
  for (const [name, db] of dbs) {
    const f = await migrationFacts(loaded, name, db, subject, stage);
    const backup = stage.backups.find((b) => b.database === name) ?? null;
    out.push(decideAutoData({ database: name, history: f.history, applied: f.applied, withoutDown: f.withoutDown, backup, mode: loaded.config.rollback.database }));
  }
  return out;
}

/** `--backup ID` of a database, or a clear word when the id belongs to another database of the config. */
async function chosenBackup(loaded: LoadedConfig, name: string, db: DatabaseConfig, id: string): Promise<BackupManifest> {
  const { createStorage } = await import('../storage/index.js');
  try {
    return await findBackup(createStorage(db.backup.storage, loaded.root), backupFolderOf(loaded, name), id);
  } catch (err) {
    if (!(err instanceof NotFound)) throw err;
    for (const [other, odb] of Object.entries(loaded.config.databases ?? {})) {
      if (other === name) continue;
      const found = await findBackup(createStorage(odb.backup.storage, loaded.root), backupFolderOf(loaded, other), id).catch(() => null);
      if (found) throw new UsageError(`--backup ${id} is a backup of database ${other}, not ${name} (pass --db ${other} to restore it there)`);
    }
    throw new NotFound(`--backup: ${(err as Error).message}`);
  }
}

async function databaseDecisions(loaded: LoadedConfig, choice: RollbackChoice, subject: DeploymentRow | null, stage: Stage | null): Promise<DataDecision[]> {
  const dbs = selectDatabases(loaded, choice.database ?? undefined);
  const { createStorage } = await import('../storage/index.js');
  if (choice.backup !== null) {
    if (dbs.length > 1) throw new UsageError(`--backup ${choice.backup}: which database? pass --db (configured: ${dbs.map(([n]) => n).join(', ')})`);
    const [name, db] = dbs[0]!;
    return [decideDatabaseRollback({ database: name, backup: await chosenBackup(loaded, name, db, choice.backup), takenBy: null })];
  }
  const taken = dbs.filter(([n]) => stage?.backups.some((b) => b.database === n));
  const who = subject ? `${subject.id} (${subject.version})` : 'the live deployment';
  if (taken.length === 0) {
    const which = choice.database ?? dbs.map(([n]) => n).join(', ');
    throw new NotFound(`${who} took no backup of ${which} (backup off, --no-backup, or nothing to back up yet); pick one with --backup ID (shipgate backup list${choice.database ? ` --db ${choice.database}` : ''})`);
  }
  const out: DataDecision[] = [];
  for (const [name, db] of taken) {
    const id = stage!.backups.find((b) => b.database === name)!.id;
    out.push(decideDatabaseRollback({ database: name, backup: await findBackup(createStorage(db.backup.storage, loaded.root), backupFolderOf(loaded, name), id), takenBy: subject!.id }));
  }
  return out;
}

/**
 * The data actions of a rollback, in order. A refusal anywhere stops the whole
 * rollback before anything changes (exit 3, the reason and the way out).
 */
export async function planDataRollback(loaded: LoadedConfig, store: Store, choice: RollbackChoice, live: DeploymentRow): Promise<{ subject: DeploymentRow | null; actions: DataUndoAction[] }> {
  if (choice.type === 'app') return { subject: null, actions: [] };
  // An explicit --backup needs no deployment at all.
  const subject = choice.type === 'database' && choice.backup !== null ? null : await subjectOf(store, live);
  const stage = subject ? await stageOutputs(store, subject) : null;
  const decisions =
    choice.type === 'migration' ? await migrationDecisions(loaded, choice, subject!, stage!) : choice.type === 'database' ? await databaseDecisions(loaded, choice, subject, stage) : await autoDecisions(loaded, choice, subject!, stage!);
  const refused = decisions.filter((d) => d.action === 'refuse');
  if (refused.length > 0) throw new GateBlocked('rollback-data', `${refused.map((d) => d.why).join('; ')}. Nothing was changed`);
  const actions = decisions.filter((d): d is DataUndoAction => d.action === 'down' || d.action === 'restore');
  const unreadable = actions.map((a) => undecryptable(loaded, a)).filter((why): why is string => why !== null);
  if (unreadable.length > 0) throw new GateBlocked('rollback-data', `${unreadable.join('; ')}. Nothing was changed`);
  if (actions.length === 0 && choice.type === 'migration') {
    throw new NotFound(`nothing to roll back: ${decisions.map((d) => d.why).join('; ') || 'no database has migrations'} (migrations applied outside a deployment: shipgate migrate down)`);
  }
  return { subject, actions };
}

/**
 * Why an action could not be done (or undone) on this host: the backup it
 * restores, or the safety backup taken first (which undoes it), is encrypted
 * to a key whose secret this host does not hold.
 */
function undecryptable(loaded: LoadedConfig, a: DataUndoAction): string | null {
  const db = loaded.config.databases?.[a.database];
  if (!db) return null;
  if (a.action === 'restore' && !canDecrypt(db, encryptionOf(a.backup))) {
    return `${a.database}: the backup ${a.backup.id} is encrypted (${encryptionOf(a.backup)}) and this host has nothing to decrypt it with (backup.encryption.identity or identityFile for age, key for a passphrase): restore it where the key is`;
  }
  const safety = configuredEncryption(db);
  if (!canDecrypt(db, safety)) return `${a.database}: the safety backup taken first would be encrypted (${safety}) with no way to decrypt it here, so this rollback could not be undone: set backup.encryption.identity or identityFile`;
  return null;
}

/** What `shipgate rollback` is asked: the app's target (`to`, `force`) and the data choice. */
export interface RollbackAsk extends Partial<RollbackChoice> {
  to?: string | null;
  force?: boolean;
}

/** A rollback, decided: the deployment row's facts and what it will do to the data. */
export interface RollbackPlan {
  /** The deployment whose app is live now. */
  live: DeploymentRow;
  /** The version live after the rollback (a data-only rollback leaves the app as it is). */
  version: string;
  rollbackOf: string;
  rollback: RollbackFacts;
}

/** The app-live deployment, or a clear NotFound (naming the records when the store looks lost). */
async function liveRow(loaded: LoadedConfig, store: Store): Promise<DeploymentRow> {
  const where = `${loaded.config.app}/${loaded.environment}`;
  const stored = await store.lastSucceeded(loaded.config.app, loaded.environment);
  const live = await appLive(store, stored);
  if (live) return live;
  const recorded = await newestRecordedLive(statePaths(loaded).recordsDir, loaded.config.app, loaded.environment);
  const doubt = judgeStore(null, recorded, where);
  if (doubt) throw new NotFound(`nothing to roll back in the store: ${doubt.message}. To go back, deploy the version you want (shipgate deploy VERSION): a deploy takes the previous version from the records`);
  throw new NotFound(`nothing to roll back: ${where} has no successful deployment yet`);
}

function checkWindow(loaded: LoadedConfig, live: DeploymentRow, nowMs: number, force: boolean | undefined): void {
  const windowMs = toMs(loaded.config.rollback.window);
  const late = nowMs - rollbackDeadlineMs(live, windowMs);
  if (late > 0 && !force) {
    throw new GateBlocked('rollback-window', `the rollback window of ${humanDuration(windowMs)} closed ${humanDuration(late)} ago (${live.version} went live at ${live.finishedAt}); pass --force to roll back anyway`);
  }
}

/** What an app rollback returns to, and whether the window still allows it. */
export async function appRollbackTarget(loaded: LoadedConfig, store: Store, nowMs: number, req: Pick<RollbackAsk, 'to' | 'force'>): Promise<{ live: DeploymentRow; target: string }> {
  const live = await liveRow(loaded, store);
  const where = `${loaded.config.app}/${loaded.environment}`;
  const target = req.to ?? plainRollbackTarget(live);
  if (target === live.version) throw new UsageError(`${target} is already live in ${where}`);
  if (req.to && !(await store.getRelease(loaded.config.app, req.to))) {
    const kept = (await store.listReleases(loaded.config.app)).map((r) => r.version);
    throw new NotFound(`no kept release ${req.to} of ${loaded.config.app} (kept: ${kept.join(', ') || 'none'})`);
  }
  checkWindow(loaded, live, nowMs, req.force);
  return { live, target };
}

/** Decides a rollback of any type before it starts: the app's target, the data actions, the window. */
export async function planRollback(loaded: LoadedConfig, store: Store, nowMs: number, ask: RollbackAsk): Promise<RollbackPlan> {
  const choice: RollbackChoice = { type: ask.type ?? 'app', database: ask.database ?? null, steps: ask.steps ?? null, backup: ask.backup ?? null };
  // A config without the databases the type needs is said first: "nothing to roll back" would send the reader elsewhere.
  if (isDataOnly(choice.type) || choice.database !== null) selectDatabases(loaded, choice.database ?? undefined, choice.type === 'database' ? undefined : withMigrations);
  if (choice.type === 'app' || choice.type === 'auto') {
    const { live, target } = await appRollbackTarget(loaded, store, nowMs, ask);
    const { subject, actions } = await planDataRollback(loaded, store, choice, live);
    return { live, version: target, rollbackOf: live.id, rollback: { type: choice.type, live: live.id, subject: subject?.id ?? null, actions } };
  }
  const live = await liveRow(loaded, store);
  checkWindow(loaded, live, nowMs, ask.force);
  const { subject, actions } = await planDataRollback(loaded, store, choice, live);
  return { live, version: live.version, rollbackOf: subject?.id ?? live.id, rollback: { type: choice.type, live: live.id, subject: subject?.id ?? null, actions } };
}
