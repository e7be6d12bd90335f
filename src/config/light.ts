import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { Masker } from '../runtime/secrets.js';
import { environmentNames, environmentOverlay, readConfigDocument, selectEnvironment } from './document.js';
import { DURATION_RE } from './duration.js';
import { interpolate } from './interpolate.js';
import { formatPath } from './paths.js';
import { deepMerge, isPlainObject } from './merge.js';
import { resolveConfigPath, type LoadConfigOptions } from './load-path.js';

export const STORE_URL_RE = /^(sqlite:.+|postgres(ql)?:\/\/.+)$/;
export const APP_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;
export const LIGHT_DEFAULT_STORE_URL = 'sqlite:.shipgate/state.db';
export const LIGHT_DEFAULT_ROLLBACK_WINDOW = '60m';

export interface StoreSettings {
  app: string;
  storeUrl: string;
  /** Directory of the config file. */
  root: string;
  path: string;
  environments: string[];
  /** Set when an environment was asked for (or there is only one). */
  environment: string | null;
  /** `rollback.window` of that environment (default 60m). */
  rollbackWindow: string;
  masker: Masker;
}

/**
 * Reads only `app` and `store` (with the environment's overlay). Read-only commands
 * use this, so they start fast and work on a machine that lacks the deploy secrets
 * the rest of the config refers to. `deploy` validates everything.
 */
export function loadStoreSettings(opts: LoadConfigOptions & { requireEnvironment?: boolean } = {}): StoreSettings {
  const path = resolveConfigPath(opts);
  const doc = readConfigDocument(path);
  const environments = environmentNames(doc);
  const environment = opts.environment !== undefined || environments.length === 1 || opts.requireEnvironment ? selectEnvironment(doc, opts.environment, path) : null;
  const overlay = environment ? environmentOverlay(doc, environment).overlay : {};
  const pick = (d: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(['store', 'rollback'].filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
  const merged = deepMerge({ app: doc.app, ...pick(doc) }, pick(overlay)).value as Record<string, unknown>;
  const { value, errors, secrets } = interpolate(merged, opts.env ?? process.env);
  const v = value as { app?: unknown; store?: unknown; rollback?: unknown };
  const window = isPlainObject(v.rollback) && typeof v.rollback.window === 'string' && DURATION_RE.test(v.rollback.window) ? v.rollback.window : LIGHT_DEFAULT_ROLLBACK_WINDOW;
  const storeUrl = isPlainObject(v.store) && v.store.url !== undefined ? v.store.url : LIGHT_DEFAULT_STORE_URL;
  const lines = errors.map((e) => `${formatPath(e.path)}: ${e.message}`);
  if (typeof v.app !== 'string' || !APP_NAME_RE.test(v.app)) lines.push(`app: expected a name of letters, digits, ".", "_" or "-" (got ${JSON.stringify(v.app ?? null)})`);
  if (typeof storeUrl !== 'string' || !STORE_URL_RE.test(storeUrl)) lines.push(`store.url: expected "sqlite:PATH" or "postgres://user@host/db"`);
  if (lines.length > 0) throw new ConfigError(`invalid config ${path}:`, lines);
  const masker = new Masker(secrets);
  masker.add(storeUrl as string);
  return { app: v.app as string, storeUrl: storeUrl as string, root: dirname(path), path, environments, environment, rollbackWindow: window, masker };
}
