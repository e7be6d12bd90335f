import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { Masker } from '../runtime/secrets.js';
import { environmentNames, environmentOverlay, readConfigText, selectEnvironment } from './environments.js';
import { lightDocument, readLightCache, writeLightCache } from './light-cache.js';
import { DEFAULT_ROLLBACK_WINDOW, DEFAULT_STORE_URL, NAME_RE, STORE_URL_RE } from './constants.js';
import { DURATION_RE, isWithinMaxDuration } from './duration.js';
import { interpolate } from './interpolate.js';
import { formatPath } from './paths.js';
import { deepMerge, isPlainObject } from './merge.js';
import { resolveConfigPath, type LoadConfigOptions } from './load-path.js';
import { storeUrlSecrets } from '../store/url.js';


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
  /** `rollback.window` of every environment. */
  rollbackWindows: Record<string, string>;
  /** Environments whose provider can say what is live: a command provider with a `status` script, or Fly.io. */
  statusScripts: string[];
  /** `provider.type` of the selected environment as written (null without one). */
  providerType: string | null;
  masker: Masker;
}

/**
 * Reads only `app`, `store`, `rollback.window` and whether the provider has a
 * status script (each with the environment's overlay). Read-only commands use
 * this, so they start fast and work on a machine that lacks the deploy secrets
 * the rest of the config refers to. `deploy` validates everything.
 */
export async function loadStoreSettings(opts: LoadConfigOptions & { requireEnvironment?: boolean } = {}): Promise<StoreSettings> {
  const path = resolveConfigPath(opts);
  const doc = await readLightDocument(path);
  const environments = environmentNames(doc);
  const environment = opts.environment !== undefined || environments.length === 1 || opts.requireEnvironment ? selectEnvironment(doc, opts.environment, path) : null;
  const overlay = environment ? environmentOverlay(doc, environment).overlay : {};
  const rollbackWindows = Object.fromEntries(environments.map((e) => [e, rollbackWindowOf(doc, e)]));
  const statusScripts = environments.filter((e) => hasStatusScript(doc, e));
  const providerType = environment ? providerTypeOf(doc, environment) : null;
  const merged = deepMerge({ app: doc.app, store: doc.store }, overlay.store === undefined ? {} : { store: overlay.store }).value as Record<string, unknown>;
  const { value, errors, secrets } = interpolate(merged, opts.env ?? process.env);
  const v = value as { app?: unknown; store?: unknown };
  const window = environment ? rollbackWindows[environment]! : DEFAULT_ROLLBACK_WINDOW;
  const storeUrl = isPlainObject(v.store) && v.store.url !== undefined ? v.store.url : DEFAULT_STORE_URL;
  const lines = errors.map((e) => `${formatPath(e.path)}: ${e.message}`);
  if (typeof v.app !== 'string' || !NAME_RE.test(v.app)) lines.push(`app: expected a name of letters, digits, ".", "_" or "-" (got ${JSON.stringify(v.app ?? null)})`);
  // A missing variable left "" behind: the line about the variable says it all.
  const storeUrlReported = errors.some((e) => formatPath(e.path) === 'store.url');
  if (!storeUrlReported && (typeof storeUrl !== 'string' || !STORE_URL_RE.test(storeUrl))) lines.push(`store.url: expected "sqlite:PATH" or "postgres://user@host/db"`);
  if (lines.length > 0) throw new ConfigError(`invalid config ${path}:`, lines);
  const masker = new Masker(secrets);
  for (const secret of storeUrlSecrets(storeUrl as string)) masker.add(secret);
  return { app: v.app as string, storeUrl: storeUrl as string, root: dirname(path), path, environments, environment, rollbackWindow: window, rollbackWindows, statusScripts, providerType, masker };
}

/** The keys this reader uses: from the cache when the file is unchanged, else parsed (the YAML parser loads only then). */
async function readLightDocument(path: string): Promise<Record<string, unknown>> {
  const source = readConfigText(path);
  const cached = readLightCache(path, source);
  if (cached) return cached;
  const { parseConfigText } = await import('./document.js');
  const doc = lightDocument(parseConfigText(source, path));
  writeLightCache(path, source, doc);
  return doc;
}

/** The top-level section `key` of an environment: the base block with the environment's block merged over it. */
function sectionOf(doc: Record<string, unknown>, env: string, key: string): unknown {
  const overlay = environmentOverlay(doc, env).overlay;
  return (deepMerge({ [key]: doc[key] }, overlay[key] === undefined ? {} : { [key]: overlay[key] }).value as Record<string, unknown>)[key];
}

/** Whether an environment's provider can say what is live: a command provider with a `status` script, or Fly.io (its machines). */
function hasStatusScript(doc: Record<string, unknown>, env: string): boolean {
  const provider = sectionOf(doc, env, 'provider');
  if (isPlainObject(provider) && provider.type === 'fly') return true;
  return isPlainObject(provider) && provider.type === 'command' && provider.status !== undefined && provider.status !== null;
}

/** An environment's `provider.type` as written; null when it has none. */
function providerTypeOf(doc: Record<string, unknown>, env: string): string | null {
  const provider = sectionOf(doc, env, 'provider');
  return isPlainObject(provider) && typeof provider.type === 'string' ? provider.type : null;
}

/** An environment's `rollback.window` as written (no interpolation: durations are never secrets); the default when it is not a valid one (`deploy` reports it). */
function rollbackWindowOf(doc: Record<string, unknown>, env: string): string {
  const rollback = sectionOf(doc, env, 'rollback');
  const w = isPlainObject(rollback) ? rollback.window : undefined;
  return typeof w === 'string' && DURATION_RE.test(w) && isWithinMaxDuration(w) ? w : DEFAULT_ROLLBACK_WINDOW;
}
