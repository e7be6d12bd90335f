import type { LoadedConfig } from '../config/load.js';
import type { DatabaseConfig } from '../config/schema/databases.js';
import { toMs } from '../config/duration.js';
import { UsageError } from '../errors.js';
import type { Store } from '../store/index.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { databaseFolder, saveManifest, type BackupManifest } from './catalog.js';
import type { StoredNotice } from './backup.js';
import type { BackupPruneReport } from './prune-backups.js';

/*
 * Backups and migrations outside a deployment: `shipgate backup create`, `shipgate migrate up`, and the library's createBackup() and runMigrations().
 * The engines, storage and runners load when they are used: a deploy or rollback that only selects databases does not load them.
 */

/** The storage folder of a database's backups (deploy backups there, `manual/` and `safety/` under it). */
export function backupFolderOf(loaded: LoadedConfig, name: string): string {
  return databaseFolder(loaded.config.app, loaded.environment, name);
}

/** `name`, or every database; a clear error for a name that is not configured, or a config without databases. */
export function selectDatabases(loaded: LoadedConfig, name: string | undefined, need?: (db: DatabaseConfig) => string | null): [string, DatabaseConfig][] {
  const all = Object.entries(loaded.config.databases ?? {});
  if (all.length === 0) throw new UsageError(`no databases in ${loaded.path} (environment "${loaded.environment}"): add a databases section`);
  const chosen = name === undefined ? all : all.filter(([n]) => n === name);
  if (chosen.length === 0) throw new UsageError(`--db ${name}: no such database (configured: ${all.map(([n]) => n).join(', ')})`);
  const usable = need ? chosen.filter(([, db]) => need(db) === null) : chosen;
  if (usable.length === 0) throw new UsageError(`--db ${chosen[0]![0]}: ${need!(chosen[0]![1])}`);
  return usable;
}

/** The archive pipeline and storage, loaded when a backup or a restore runs: a deploy or rollback without one never loads them. */
export async function loadBackupKit() {
  const [backup, { createStorage }] = await Promise.all([import('./backup.js'), import('../storage/index.js')]);
  return { ...backup, createStorage };
}

/** Takes and proves a backup of one database, with its manifest beside it. */
export async function takeBackup(loaded: LoadedConfig, name: string, db: DatabaseConfig, kind: 'manual' | 'safety', clock: Clock = systemClock, onStored?: (stored: StoredNotice) => void): Promise<BackupManifest> {
  const { createBackup, createStorage } = await loadBackupKit();
  const storage = createStorage(db.backup.storage, loaded.root);
  const created = await createBackup({ db, name, storage, key: `${backupFolderOf(loaded, name)}/${kind}`, root: loaded.root, clock, ...(onStored ? { onStored } : {}) });
  return saveManifest(storage, created, { kind, deploymentId: null, type: db.type });
}

/** Retention after `shipgate backup create`: each database backed up is pruned by its policy (reported, never thrown). */
export async function pruneAfterBackup(loaded: LoadedConfig, databases: readonly (readonly [string, DatabaseConfig])[], clock: Clock = systemClock): Promise<BackupPruneReport> {
  const [{ pruneAllBackups }, { openStore }] = await Promise.all([import('./prune-backups.js'), import('../store/index.js')]);
  // Opened only when some backup is over its policy: most runs have nothing to prune and never load the store.
  const held: { store: Promise<Store> | null } = { store: null };
  const store = (): Promise<Store> => (held.store ??= openStore(loaded.config.store.url, { root: loaded.root }));
  try {
    return await pruneAllBackups({ app: loaded.config.app, environment: loaded.environment, databases, root: loaded.root, store, windowMs: toMs(loaded.config.rollback.window), nowMs: clock.now() });
  } finally {
    await held.store?.then((s) => s.close(), () => undefined);
  }
}

/** Applies pending migrations of each database (or `name`); returns what each applied. */
export async function migrateUp(loaded: LoadedConfig, name?: string): Promise<{ database: string; applied: string[] }[]> {
  const out: { database: string; applied: string[] }[] = [];
  const { openMigrations } = await import('./migrations/index.js');
  for (const [n, db] of selectDatabases(loaded, name, (d) => (d.migrations ? null : 'has no migrations section'))) {
    const m = await openMigrations(db, loaded.root, { name: n });
    try {
      out.push({ database: n, applied: m.tool === 'builtin' ? (await m.up()).map((a) => a.name) : ((await m.up()), ['(migrate command)']) });
    } finally {
      await m.close();
    }
  }
  return out;
}
