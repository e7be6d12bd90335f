import type { DatabaseConfig } from '../../config/schema/databases.js';
import type { StoredBackup } from '../../databases/backup.js';
import { saveManifest } from '../../databases/catalog.js';
import { loadBackupKit } from '../../databases/manual.js';
import type { BackupOutput } from '../../databases/contract.js';
import type { StageContext } from '../stage.js';
import { backupKeyOf } from './backup.js';

/**
 * Every restore (and every data rollback) first takes a proven backup of what is
 * there now, under `<database>/safety/`, so what it does can itself be undone.
 */
export async function takeSafetyBackup(ctx: StageContext, name: string, db: DatabaseConfig): Promise<BackupOutput> {
  const { createBackup, createStorage } = await loadBackupKit();
  const storage = createStorage(db.backup.storage, ctx.paths.root);
  const safety = await createBackup({ db, name, storage, key: backupKeyOf(ctx, name, 'safety'), root: ctx.paths.root, run: ctx.run, clock: ctx.clock });
  await saveManifest(storage, safety, { kind: 'safety', deploymentId: ctx.facts.id, type: db.type });
  const { fingerprints: _fingerprints, fingerprintVersion: _version, ...backup } = safety;
  return backup;
}

/** Restores a stored backup over the database (its sha256 checked first). */
export async function restoreOver(ctx: StageContext, db: DatabaseConfig, backup: StoredBackup): Promise<void> {
  const { restoreBackup, createStorage } = await loadBackupKit();
  return restoreBackup({ db, storage: createStorage(db.backup.storage, ctx.paths.root), root: ctx.paths.root, run: ctx.run, clock: ctx.clock, backup });
}
