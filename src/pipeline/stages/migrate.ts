import { resolve } from 'node:path';
import type { DatabaseConfig } from '../../config/schema/databases.js';
import type { RolloutConfig } from '../../config/schema/rollout.js';
import { canDecrypt, encryptionOf } from '../../databases/encryption.js';
import { readMigrationFiles } from '../../databases/migrations/files.js';
import { guardMigrations, type Finding } from '../../databases/migrations/guard.js';
import type { Migrations } from '../../databases/migrations/index.js';
import { GateBlocked, StageFailed } from '../../errors.js';
import { deriveSagaState } from '../saga-state.js';
import type { Stage, StageContext, UndoOutcome } from '../stage.js';
import { BackupStageOutputSchema, type BackupStageOutput } from './backup-output.js';
import { restoreOver, takeSafetyBackup } from './safety-backup.js';
import { MigrateStageOutputSchema, type MigratedDatabase, type MigrateStageOutput } from './migrate-output.js';
import { decideMigrateUndo, type MigrateUndo } from './migrate-undo.js';

type Entry = [string, DatabaseConfig];

/** Strategies that run the previous version next to the new one while traffic moves. */
export function runsTwoVersions(rollout: RolloutConfig | undefined): boolean {
  return rollout !== undefined && rollout.strategy !== 'immediate';
}

/** The migrations of one database (the runners and engines load only for a deploy that has any). */
async function open(ctx: StageContext, name: string, db: DatabaseConfig, lines?: string[]): Promise<Migrations> {
  const { openMigrations } = await import('../../databases/migrations/index.js');
  return openMigrations(db, ctx.paths.root, { name, deploymentId: ctx.facts.id, clock: ctx.clock, run: ctx.run, signal: ctx.signal, onLine: (line) => void lines?.push(line) });
}

/**
 * Applies pending migrations, database by database. Builtin migrations are
 * checked first: drift fails the stage, and while two versions will be live
 * (canary, rolling, blue-green) a destructive statement blocks the deploy
 * before anything changes, unless --allow-destructive (recorded). Each applied
 * migration is noted at once, and the history table names this deployment, so
 * an undo after a crash knows exactly what to revert.
 */
export function createMigrateStage(databases: Record<string, DatabaseConfig>): Stage {
  const entries: Entry[] = Object.entries(databases).filter(([, db]) => db.migrations !== undefined);
  return {
    name: 'migrate',
    output: MigrateStageOutputSchema,
    plan: (ctx) => entries.map(([name, db]) => ({ step: `migrate:${name}`, detail: ctx.facts.data.skipMigrations ? 'skipped (--skip-migrations)' : db.migrations!.tool === 'builtin' ? `apply pending migrations from ${db.migrations!.dir}` : 'run the migrate command' })),
    async run(ctx) {
      const out: MigrateStageOutput = { databases: {}, skipped: ctx.facts.data.skipMigrations };
      if (out.skipped) return out;
      for (const [name, db] of entries) {
        const entry: MigratedDatabase = { tool: db.migrations!.tool, applied: [], began: false, allowedDestructive: [] };
        out.databases[name] = entry;
        if (db.migrations!.tool === 'command') await migrateByCommand(ctx, name, db, entry, out);
        else await migrateBuiltin(ctx, name, db, entry, out);
      }
      return out;
    },
    undo: (ctx, output) => undoMigrations(ctx, entries, MigrateStageOutputSchema.parse(output ?? {})),
  };
}

async function journalLines(ctx: StageContext, step: string, lines: string[]): Promise<void> {
  if (lines.length > 0) await ctx.journal.append('step:output', { deploymentId: ctx.facts.id, stage: ctx.stage, step, lines: lines.map((text) => ({ stream: 'stdout' as const, text })) });
}

async function migrateByCommand(ctx: StageContext, name: string, db: DatabaseConfig, entry: MigratedDatabase, out: MigrateStageOutput): Promise<void> {
  const lines: string[] = [];
  const m = await open(ctx, name, db, lines);
  entry.began = true;
  entry.applied = ['(migrate command)'];
  await ctx.note({ ...out });
  try {
    if (m.tool === 'command') await ctx.step(`migrate:${name}`, () => m.up(), 'run the migrate command');
  } finally {
    await journalLines(ctx, `migrate:${name}`, lines);
    await m.close();
  }
}

export function findingLine(f: Finding): string {
  return f.message;
}

async function migrateBuiltin(ctx: StageContext, name: string, db: DatabaseConfig, entry: MigratedDatabase, out: MigrateStageOutput): Promise<void> {
  const m = await open(ctx, name, db);
  try {
    if (m.tool !== 'builtin') return;
    const runner = m;
    const status = await runner.status();
    if (status.drift.length > 0) throw new StageFailed('migrate', `${name}: applied migrations differ from their files: ${status.drift.map((d) => d.message).join('; ')}`);
    const { blocked } = guardMigrations(status.pending, { strategyRunsTwoVersions: runsTwoVersions(ctx.config.rollout), allowDestructive: false, applied: status.applied.map((a) => a.name) });
    if (blocked.length > 0 && !ctx.facts.data.allowDestructive) {
      throw new GateBlocked('destructive-migration', `databases.${name}: ${blocked.map(findingLine).join('; ')} (or deploy with --allow-destructive, which is recorded)`);
    }
    entry.allowedDestructive = blocked.map(findingLine);
    entry.began = true;
    await ctx.note({ ...out });
    const pending = status.pending.map((f) => f.name);
    await ctx.step(
      `migrate:${name}`,
      () =>
        runner.up({
          onApplied: async (row) => {
            entry.applied.push(row.name);
            await ctx.note({ ...out });
          },
        }),
      pending.length === 0 ? 'up to date' : `apply ${pending.join(', ')}`,
    );
  } finally {
    await m.close();
  }
}

/** A stage after migrate began: the new version may have served traffic, and written through the new schema. */
async function servedTraffic(ctx: StageContext): Promise<boolean> {
  const state = deriveSagaState(await ctx.store.listEvents(ctx.facts.id));
  const after = state.plan.slice(state.plan.indexOf('migrate') + 1);
  return after.some((s) => state.stages.get(s)?.started === true);
}

async function backupsOf(ctx: StageContext): Promise<BackupStageOutput['backups']> {
  const parsed = BackupStageOutputSchema.safeParse((await ctx.outputOf('backup')) ?? {});
  return parsed.success ? parsed.data.backups : [];
}

async function undoMigrations(ctx: StageContext, entries: Entry[], output: MigrateStageOutput): Promise<UndoOutcome> {
  const backups = await backupsOf(ctx);
  const served = await servedTraffic(ctx);
  const done: string[] = [];
  for (const [name, db] of [...entries].reverse()) {
    if (!output.databases[name]?.began) continue;
    const decision = await decide(ctx, name, db, output.databases[name]!, backups.find((b) => b.database === name) ?? null, served);
    await ctx.step(`undo:${name}`, () => carryOut(ctx, name, db, decision), decision.why);
    if (decision.action !== 'nothing') done.push(decision.why);
  }
  return done.length > 0 ? { done: true, detail: done.join('; ') } : { done: false, detail: 'no migration to undo' };
}

async function decide(ctx: StageContext, name: string, db: DatabaseConfig, entry: MigratedDatabase, backup: BackupStageOutput['backups'][number] | null, served: boolean): Promise<MigrateUndo> {
  const mode = ctx.config.rollback.database;
  const backupReadable = backup === null || canDecrypt(db, encryptionOf(backup));
  const m = db.migrations!;
  if (m.tool === 'command') return decideMigrateUndo({ database: name, applied: entry.applied, withoutDown: m.down ? [] : entry.applied, backup, servedTraffic: served, mode, backupReadable });
  // The history table names this deployment: the truth even when the last note was lost to a crash.
  const opened = await open(ctx, name, db);
  try {
    const status = opened.tool === 'builtin' ? await opened.status() : null;
    const applied = (status?.applied ?? []).filter((a) => a.deploymentId === ctx.facts.id).map((a) => a.name);
    const files = await readMigrationFiles(resolve(ctx.paths.root, m.dir));
    const withoutDown = applied.filter((n) => !files.find((f) => f.name === n)?.down);
    return decideMigrateUndo({ database: name, applied, withoutDown, backup, servedTraffic: served, mode, backupReadable });
  } finally {
    await opened.close();
  }
}

async function carryOut(ctx: StageContext, name: string, db: DatabaseConfig, d: MigrateUndo): Promise<void> {
  if (d.action === 'nothing') return;
  if (d.action === 'refuse') throw new StageFailed('migrate', d.why);
  if (d.action === 'down') return runDowns(ctx, name, db, d.names);
  // A restore can itself be undone: first a backup of what is there now.
  const safety = await takeSafetyBackup(ctx, name, db);
  await ctx.note({ safetyBackups: { [name]: safety.id } });
  await restoreOver(ctx, db, d.backup);
}

export async function runDowns(ctx: StageContext, name: string, db: DatabaseConfig, names: string[]): Promise<void> {
  const lines: string[] = [];
  const m = await open(ctx, name, db, lines);
  try {
    if (m.tool === 'builtin') await m.down({ names });
    else await m.down();
  } finally {
    await journalLines(ctx, `undo:${name}`, lines);
    await m.close();
  }
}
