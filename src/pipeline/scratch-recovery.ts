import { dropStaleScratch, type ScratchSweep } from '../databases/scratch.js';
import { errorMessage } from '../errors.js';
import type { BaseContext } from './context.js';

/**
 * Recovery of a dead run: a run killed while proving a backup (`verify:
 * restore`) leaves its scratch database behind. Those whose process is provably
 * gone are dropped (see databases/scratch.ts); a failure to look is a warning,
 * never a failure of the recovery.
 */
export async function dropDeadRunScratch(base: BaseContext): Promise<void> {
  for (const [database, db] of Object.entries(base.config.databases ?? {})) {
    if ((db.type !== 'postgres' && db.type !== 'mysql') || !db.backup.enabled || db.backup.verify !== 'restore') continue;
    const sweep: ScratchSweep = await dropStaleScratch(db.type, db.backup.verifyUrl ?? db.url).catch((err: unknown) => ({ dropped: [], kept: [], errors: [`stale scratch databases not checked: ${errorMessage(err)}`] }));
    if (sweep.dropped.length > 0) await base.journal.append('scratch:dropped', { deploymentId: base.facts.id, database, names: sweep.dropped });
    for (const e of sweep.errors) await base.journal.append('deploy:warning', { deploymentId: base.facts.id, message: `${database}: ${e}` });
  }
}
