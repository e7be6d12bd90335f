import { existsSync } from 'node:fs';
import type { DatabaseConfig } from '../../config/schema/databases.js';
import { sqlitePath } from '../../databases/connection.js';
import { databaseFolder, saveManifest } from '../../databases/catalog.js';
import type { EncryptionKind } from '../../databases/contract.js';
import { archiveCompression, configuredEncryption } from '../../databases/encryption.js';
import { loadBackupKit } from '../../databases/manual.js';
import type { Stage, StageContext } from '../stage.js';
import { BackupStageOutputSchema, type BackupStageOutput } from './backup-output.js';

const ENCRYPTION_DETAIL: Record<EncryptionKind, string> = { none: '', passphrase: ', encrypted', age: ', encrypted to age recipients' };

/** Storage key folder of a database's archives. */
export function backupKeyOf(ctx: Pick<StageContext, 'facts'>, database: string, kind: 'deploy' | 'safety' | 'manual' = 'deploy'): string {
  const base = databaseFolder(ctx.facts.app, ctx.facts.environment, database);
  return kind === 'deploy' ? base : `${base}/${kind}`;
}

/**
 * Backs up every database before any migration runs, and proves each backup
 * (`backup.verify`). A backup that fails its proof fails the stage, so the
 * deploy stops before the schema changes. Nothing to undo: a backup changes no
 * database. Each finished backup is noted at once, so the migrate stage's undo
 * finds it even after a crash.
 */
export function createBackupStage(databases: Record<string, DatabaseConfig>): Stage {
  const entries = Object.entries(databases);
  return {
    name: 'backup',
    output: BackupStageOutputSchema,
    plan: (ctx) =>
      entries.map(([name, db]) => ({
        step: `backup:${name}`,
        detail: db.backup.enabled && ctx.facts.data.backup ? `${db.type} dump, ${archiveCompression(db)}${ENCRYPTION_DETAIL[configuredEncryption(db)]}, proven by ${db.backup.verify}, to ${db.backup.storage.type}` : 'skipped (backup off)',
      })),
    async run(ctx) {
      const out: BackupStageOutput = { backups: [], skipped: [] };
      for (const [name, db] of entries) {
        if (!db.backup.enabled || !ctx.facts.data.backup) {
          out.skipped.push(name);
          continue;
        }
        // A SQLite database the first migration will create: there is nothing to back up yet.
        if (db.type === 'sqlite' && !existsSync(sqlitePath(db.url, ctx.paths.root))) {
          await ctx.step(`backup:${name}`, async () => undefined, `no database file at ${sqlitePath(db.url, ctx.paths.root)} yet: nothing to back up`);
          out.skipped.push(name);
          continue;
        }
        const { createBackup, createStorage } = await loadBackupKit();
        const storage = createStorage(db.backup.storage, ctx.paths.root);
        const created = await ctx.step(`backup:${name}`, () => createBackup({ db, name, storage, key: backupKeyOf(ctx, name), root: ctx.paths.root, run: ctx.run, clock: ctx.clock, signal: ctx.signal }), `${db.type} to ${db.backup.storage.type}, proven by ${db.backup.verify}`);
        // Next to the archive: what a later proof or restore needs, readable from the storage alone.
        await saveManifest(storage, created, { kind: 'deploy', deploymentId: ctx.facts.id, type: db.type });
        const { fingerprints: _fingerprints, fingerprintVersion: _version, ...backup } = created;
        out.backups.push(backup);
        await ctx.note({ ...out });
      }
      return out;
    },
  };
}
