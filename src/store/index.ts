/**
 * Opens the state store named by a URL. Cold start matters (`shipgate history
 * --json` answers in ~100 ms), so this module loads no database client itself:
 * pg or better-sqlite3 is imported only once the URL says which one is needed.
 */
import { existsSync } from 'node:fs';
import { errorMessage, ShipgateError } from '../errors.js';
import type { Store } from './contract.js';
import { openDriver } from './open-driver.js';
import { SqlStore } from './sql-store.js';
import { maskStoreUrl, parseStoreUrl } from './url.js';

export * from './contract.js';
export { LATEST_SCHEMA_VERSION } from './schema-version.js';
export { maskStoreUrl } from './url.js';
export type { SqlStore } from './sql-store.js';
export type { DeploymentFacts, GroupAggregate, StatusCount } from './monitoring.js';
export type { ListAlertsQuery, Resolution } from './alerts.js';

export interface OpenStoreOptions {
  /** Directory a relative `sqlite:PATH` is resolved against (the config file's directory). */
  root: string;
}

/**
 * Opens `sqlite:PATH`, `sqlite::memory:`, `postgres://...` or `postgresql://...`,
 * creating or upgrading the schema. Close the store when done.
 */
export async function openStore(url: string, opts: OpenStoreOptions): Promise<Store> {
  return openSqlStore(url, opts);
}

/** {@link openStore}, with the read-only aggregates of the monitoring server. */
export async function openSqlStore(url: string, opts: OpenStoreOptions): Promise<SqlStore> {
  const target = parseStoreUrl(url, opts.root);
  try {
    return await SqlStore.open(await openDriver(target));
  } catch (err) {
    if (err instanceof ShipgateError) throw err;
    throw new ShipgateError(`cannot open store ${maskStoreUrl(url)}: ${errorMessage(err)}`, { cause: err });
  }
}

/**
 * For uses that must change nothing (dry runs): null when a SQLite store file does
 * not exist yet, instead of creating it. PostgreSQL stores are opened as usual.
 */
export async function openExistingStore(url: string, opts: OpenStoreOptions): Promise<Store | null> {
  const target = parseStoreUrl(url, opts.root);
  if (target.dialect === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path)) return null;
  return openStore(url, opts);
}
