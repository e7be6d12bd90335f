import type { DatabaseConfig } from '../config/schema/databases.js';
import { toMs } from '../config/duration.js';
import { errorMessage } from '../errors.js';
import type { Store } from '../store/contract.js';
import { createStorage } from '../storage/index.js';
import { databaseFolder, pruneBackups, type Protection } from './catalog.js';
import { deploymentsToProtect } from './retention.js';

/**
 * Retention at work: after a successful deploy and after `shipgate backup
 * create`, each database's backups are pruned by its `backup.retention`. It is
 * housekeeping: what fails is reported, never thrown, and nothing is deleted
 * when the store cannot say which deployments still need their backups.
 */

/** How many recent deployments are read to find those inside the rollback window. */
const RECENT_DEPLOYMENTS = 200;

export interface BackupPruneReport {
  /** Backups deleted; `orphan` ones were archives without a manifest. */
  pruned: { database: string; id: string; orphan?: boolean }[];
  errors: { database: string; message: string }[];
}

type StoreReader = Pick<Store, 'listDeployments' | 'listUnfinished' | 'lastSucceeded'>;

export interface PruneAllBackupsOptions {
  app: string;
  environment: string;
  databases: readonly (readonly [string, DatabaseConfig])[];
  /** Folder local storage paths are relative to. */
  root: string;
  /** The store, or how to open it: opened only when some backup is over its policy (what protection decides). */
  store: StoreReader | (() => Promise<StoreReader>);
  /** `rollback.window`. */
  windowMs: number;
  nowMs: number;
}

/** Prunes each database whose backups are on; one database's failure does not stop the others. */
export async function pruneAllBackups(o: PruneAllBackupsOptions): Promise<BackupPruneReport> {
  const report: BackupPruneReport = { pruned: [], errors: [] };
  const enabled = o.databases.filter(([, db]) => db.backup.enabled);
  if (enabled.length === 0) return report;
  // Asked once, and only by a database that has a backup over its policy.
  let asked: Promise<Protection> | null = null;
  const protection = (): Promise<Protection> =>
    (asked ??= protectedDeployments(o).then(
      (deployments) => ({ deployments, windowMs: o.windowMs }),
      (err: unknown) => {
        throw new Error(`the state store could not say which deployments need theirs (${errorMessage(err)})`);
      },
    ));
  for (const [database, db] of enabled) {
    try {
      const policy = { keep: db.backup.retention.keep, maxAgeMs: toMs(db.backup.retention.maxAge) };
      const storage = createStorage(db.backup.storage, o.root);
      const done = await pruneBackups(storage, databaseFolder(o.app, o.environment, database), policy, protection, o.nowMs);
      report.pruned.push(...done.pruned.map((id) => ({ database, id })), ...done.orphans.map((id) => ({ database, id, orphan: true })));
      report.errors.push(...done.errors.map((message) => ({ database, message })));
    } catch (err) {
      report.errors.push({ database, message: `backups not pruned: ${errorMessage(err)}` });
    }
  }
  return report;
}

async function protectedDeployments(o: PruneAllBackupsOptions): Promise<Set<string>> {
  const store = typeof o.store === 'function' ? await o.store() : o.store;
  const [recent, unfinished, live] = await Promise.all([
    store.listDeployments({ app: o.app, environment: o.environment, limit: RECENT_DEPLOYMENTS }),
    store.listUnfinished(o.app, o.environment),
    store.lastSucceeded(o.app, o.environment),
  ]);
  return deploymentsToProtect({ deployments: [...recent, ...unfinished], live: live ?? null, windowMs: o.windowMs, nowMs: o.nowMs });
}
