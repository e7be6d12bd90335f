import type { DatabaseConfig } from '../../config/schema/databases.js';
import { StageFailed } from '../../errors.js';
import type { DataUndoAction } from '../rollback-type.js';
import type { Stage, StageContext, UndoOutcome } from '../stage.js';
import { DataRollbackOutputSchema, type DataRollbackOutput } from './data-rollback-output.js';
import { runDowns } from './migrate.js';
import { restoreOver, takeSafetyBackup } from './safety-backup.js';

/** The stage of `shipgate rollback --type migration|database|auto` that changes the data. */
export const DATA_STAGE = 'data';

const SAFETY_DETAIL = 'a proven backup of the current state first, so this rollback can itself be undone';

function databaseOf(ctx: StageContext, name: string): DatabaseConfig {
  const db = ctx.config.databases?.[name];
  if (!db) throw new StageFailed(ctx.stage, `databases.${name} is not in the config any more`);
  return db;
}

/**
 * Carries out the data actions decided before the rollback began (kept with the
 * deployment, so a recovery does the same), database by database: a safety
 * backup, noted, then the downs or the restore, with the why as the step's
 * detail. A resumed run keeps the safety backup the first run noted: a second
 * one could catch a half-done restore. Undo restores each safety backup.
 */
export function createDataRollbackStage(): Stage {
  return {
    name: DATA_STAGE,
    output: DataRollbackOutputSchema,
    plan: (ctx) => {
      const actions = ctx.facts.rollback?.actions ?? [];
      if (actions.length === 0) return [{ step: DATA_STAGE, detail: 'nothing to undo in the data' }];
      return actions.flatMap((a) => [{ step: `safety-backup:${a.database}`, detail: SAFETY_DETAIL }, { step: `${a.action}:${a.database}`, detail: a.why }]);
    },
    async run(ctx) {
      const actions = ctx.facts.rollback?.actions ?? [];
      const out: DataRollbackOutput = DataRollbackOutputSchema.parse((await ctx.outputOf(DATA_STAGE)) ?? {});
      if (actions.length === 0) await ctx.step(DATA_STAGE, async () => undefined, 'nothing to undo in the data: the deployment rolled back changed none');
      for (const a of actions) await carryOut(ctx, a, out);
      return out;
    },
    undo: (ctx, output) => undoData(ctx, DataRollbackOutputSchema.parse(output ?? {})),
  };
}

async function carryOut(ctx: StageContext, a: DataUndoAction, out: DataRollbackOutput): Promise<void> {
  const db = databaseOf(ctx, a.database);
  const entry = (out.databases[a.database] ??= { began: false, done: false });
  if (entry.done) return;
  if (!entry.safetyBackup) {
    entry.safetyBackup = await ctx.step(`safety-backup:${a.database}`, () => takeSafetyBackup(ctx, a.database, db), SAFETY_DETAIL);
    await ctx.note({ ...out });
  }
  entry.began = true;
  await ctx.note({ ...out });
  await ctx.step(`${a.action}:${a.database}`, () => (a.action === 'down' ? runDowns(ctx, a.database, db, a.names) : restoreOver(ctx, db, a.backup)), a.why);
  entry.done = true;
  await ctx.note({ ...out });
}

/** Puts each database that began changing back as its safety backup holds it, newest first. */
async function undoData(ctx: StageContext, output: DataRollbackOutput): Promise<UndoOutcome> {
  const began = Object.entries(output.databases).filter(([, e]) => e.began).reverse();
  if (began.length === 0) return { done: false, detail: 'nothing changed in the data' };
  for (const [name, e] of began) {
    const safety = e.safetyBackup;
    if (!safety) throw new StageFailed(ctx.stage, `${name} changed without a safety backup: check it by hand`);
    await ctx.step(`undo:${name}`, () => restoreOver(ctx, databaseOf(ctx, name), safety), `restoring the safety backup ${safety.id} taken at ${safety.timestamp} (the state before this rollback)`);
  }
  return { done: true, detail: `restored the safety backup(s) ${began.map(([n, e]) => `${e.safetyBackup!.id} (${n})`).join(', ')}` };
}
