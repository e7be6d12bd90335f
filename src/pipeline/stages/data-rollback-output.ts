import { z } from 'zod';
import type { DataRollbackRecord, DeploymentRecord } from '../record.js';
import { rollbackFactsOf } from '../rollback-type.js';
import { BackupOutputSchema } from './backup-output.js';

/** Per database: how far the data stage of a rollback got (noted as it goes, so an undo after a crash knows). */
export const DataRollbackOutputSchema = z.strictObject({
  databases: z
    .record(
      z.string(),
      z.strictObject({
        /** Taken before anything changed: what an undo restores. */
        safetyBackup: BackupOutputSchema.optional(),
        /** The downs or the restore began: the database may have changed. */
        began: z.boolean().default(false),
        done: z.boolean().default(false),
      }),
    )
    .default({}),
});
export type DataRollbackOutput = z.infer<typeof DataRollbackOutputSchema>;

/** The record's `rollback_type` (rollbacks only) and `data_rollback`: each database's action, why, and its safety backup. */
export function rollbackRecordFields(kind: DeploymentRecord['kind'], meta: Record<string, unknown>, output: Record<string, unknown> | null): Partial<DeploymentRecord> {
  if (kind !== 'rollback') return {};
  const facts = rollbackFactsOf(meta);
  if (!facts || facts.type === 'app') return { rollback_type: 'app' };
  const parsed = DataRollbackOutputSchema.safeParse(output ?? {});
  const progress = parsed.success ? parsed.data.databases : {};
  const data_rollback = facts.actions.map((a): DataRollbackRecord => {
    const p = progress[a.database];
    const what = a.action === 'down' ? { migrations: a.names } : { backup_id: a.backup.id, writes_lost_since: a.backup.timestamp };
    return { database: a.database, action: a.action, ...what, why: a.why, safety_backup: p?.safetyBackup?.id ?? null, done: p?.done ?? false };
  });
  return { rollback_type: facts.type, data_rollback };
}
