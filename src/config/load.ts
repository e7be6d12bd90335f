import { dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { Masker, secretsFromEnv } from '../runtime/secrets.js';
import { readConfigDocument } from './document.js';
import { environmentNames, environmentOverlay, selectEnvironment } from './environments.js';
import { interpolate, lookup, type KeyPath } from './interpolate.js';
import { formatIssues } from './issues.js';
import { deepMerge, isOverlaid, isPlainObject } from './merge.js';
import { ConfigSchema, type Config } from './schema/index.js';
import type { z } from 'zod';
import { ensureRules } from './rules.js';
import { listenConflicts } from './listen-conflicts.js';
import { formatPath } from './paths.js';
import { resolveConfigPath, type LoadConfigOptions } from './load-path.js';
import { storeUrlSecrets } from '../store/url.js';

export { resolveConfigPath, type LoadConfigOptions } from './load-path.js';

export type ResolvedConfig = Omit<Config, 'environments'>;

export interface LoadedConfig {
  config: ResolvedConfig;
  environment: string;
  environments: string[];
  /** Absolute path of the config file. */
  path: string;
  /** Directory of the config file: relative paths in the config start here. */
  root: string;
  /** Masks every secret the config or the process environment holds. */
  masker: Masker;
}

/** Loads, overlays, interpolates and validates the config for one environment. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const path = resolveConfigPath(opts);
  const doc = readConfigDocument(path);
  const environment = selectEnvironment(doc, opts.environment, path);
  return resolveDocument(doc, environment, path, opts.env ?? process.env);
}

/** Validates the base config under every environment; returns all errors at once. */
export function validateAllEnvironments(opts: LoadConfigOptions = {}): { environments: string[]; errors: ConfigError[]; path: string } {
  const path = resolveConfigPath(opts);
  const doc = readConfigDocument(path);
  const names = opts.environment ? [selectEnvironment(doc, opts.environment, path)] : environmentNames(doc);
  const errors: ConfigError[] = [];
  for (const name of names) {
    try {
      resolveDocument(doc, name, path, opts.env ?? process.env);
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err);
      else throw err;
    }
  }
  return { environments: names, errors, path };
}

export function resolveDocument(doc: Record<string, unknown>, environment: string, path: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const { environments, ...base } = doc;
  const { overlay, errors: overlayErrors } = environmentOverlay(doc, environment);
  const { value: merged, overlaid } = deepMerge(base, overlay);
  const secretNames = new Set(secretNamesOf(merged));
  const interpolated = interpolate(merged, env, secretNames);
  const rename = (p: KeyPath): KeyPath => (isOverlaid(p, overlaid) ? ['environments', environment, ...p] : p);

  // `environments` is checked as written (names, one map each) but not interpolated:
  // a variable only another environment uses need not be set for this one.
  const input = environments === undefined ? interpolated.value : { ...(interpolated.value as object), environments };
  const parsed = ConfigSchema.safeParse(input, { reportInput: true });
  const envLines = interpolated.errors.map((i) => `${formatPath(rename(i.path))}: ${i.message}`);
  const envPaths = envLines.map((l) => l.slice(0, l.indexOf(': ') + 2));
  const masker = new Masker([...interpolated.secrets, ...secretsFromEnv(env), ...[...secretNames].map((n) => lookup(env, n) ?? '')]);
  // Store and database URLs carry passwords (and secret query parameters): masked too, also in the errors below.
  for (const url of connectionUrls(interpolated.value)) for (const secret of storeUrlSecrets(url)) masker.add(secret);
  for (const secret of encryptionSecrets(interpolated.value)) masker.add(secret);
  for (const secret of notifySecrets(interpolated.value)) masker.add(secret);
  const issueLines = parsed.success
    ? [...ensureRules(parsed.data).map((i) => `${formatPath(rename(i.path))}: ${i.message}`), ...listenConflicts(doc, environment, env)]
    : formatIssues(maskInputs(parsed.error.issues, masker), ConfigSchema, { rename, input });
  // A missing variable left "" behind; the schema's complaint about that "" adds nothing.
  const errors = [...new Set([...overlayErrors, ...envLines, ...issueLines.filter((l) => !envPaths.some((p) => l.startsWith(p)))])];
  if (errors.length > 0 || !parsed.success) {
    // An error quotes what it got: never a secret's value (a too-short encryption key, a URL with its password).
    throw new ConfigError(`invalid config ${path} (environment "${environment}"):`, errors.map((line) => masker.mask(line)));
  }
  const { environments: _e, ...config } = parsed.data;
  return { config, environment, environments: environmentNames(doc), path, root: dirname(path), masker };
}

/**
 * The issues with each value they quote masked first: "(got …)" shortens a long
 * value, and the masker could not find a secret that was cut in half afterwards.
 */
function maskInputs(issues: readonly z.core.$ZodIssue[], masker: Masker): z.core.$ZodIssue[] {
  const maskValue = (v: unknown): unknown => (typeof v === 'string' ? masker.mask(v) : isPlainObject(v) ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? masker.mask(x) : x])) : v);
  return issues.map((i) => {
    const out: Record<string, unknown> = { ...i };
    if ('input' in i && i.input !== undefined) out.input = maskValue(i.input);
    // A union's branches and a key's or element's own issues quote values too.
    if ('errors' in i && Array.isArray(i.errors)) out.errors = (i.errors as z.core.$ZodIssue[][]).map((branch) => maskInputs(branch, masker));
    if ('issues' in i && Array.isArray(i.issues)) out.issues = maskInputs(i.issues as z.core.$ZodIssue[], masker);
    return out as unknown as z.core.$ZodIssue;
  });
}

/** `store.url` and every `databases.<name>.url`, as written after interpolation (before validation). */
function connectionUrls(value: unknown): string[] {
  if (!isPlainObject(value)) return [];
  const store = isPlainObject(value.store) ? value.store.url : undefined;
  const dbs = isPlainObject(value.databases) ? Object.values(value.databases).map((d) => (isPlainObject(d) ? d.url : undefined)) : [];
  return [store, ...dbs].filter((u): u is string => typeof u === 'string');
}

/**
 * Every `databases.<name>.backup.encryption.key` and `.identity` (and each line
 * of an identity given as a file's text): secrets even when written into the file.
 */
function encryptionSecrets(value: unknown): string[] {
  if (!isPlainObject(value) || !isPlainObject(value.databases)) return [];
  const encryptions = Object.values(value.databases).map((d) => (isPlainObject(d) && isPlainObject(d.backup) && isPlainObject(d.backup.encryption) ? d.backup.encryption : {}));
  const values = encryptions.flatMap((e) => [e.key, e.identity]).filter((k): k is string => typeof k === 'string' && k.length > 0);
  return [...values, ...values.flatMap((v) => v.split(/\r?\n/).map((l) => l.trim()).filter((l) => !l.startsWith('#')))];
}

/**
 * What a notification channel must keep secret even when written into the file: webhook URLs
 * (whoever has one can post), the webhook signing secret, PagerDuty's routing key, the SMTP password.
 */
function notifySecrets(value: unknown): string[] {
  const channels = isPlainObject(value) && Array.isArray(value.notify) ? value.notify.filter(isPlainObject) : [];
  return channels.flatMap((c) => {
    const smtp = isPlainObject(c.smtp) && typeof c.smtp.url === 'string' ? storeUrlSecrets(c.smtp.url) : [];
    const direct = [c.webhook, c.secret, c.routingKey, c.type === 'webhook' ? c.url : undefined].filter((v): v is string => typeof v === 'string' && v.length > 0);
    // A Standard Webhooks secret is used without its `whsec_` prefix too.
    const bare = typeof c.secret === 'string' && c.secret.startsWith('whsec_') ? [c.secret.slice('whsec_'.length)] : [];
    return [...direct, ...bare, ...smtp];
  });
}

function secretNamesOf(merged: unknown): string[] {
  const names = isPlainObject(merged) ? merged.secrets : undefined;
  return Array.isArray(names) ? names.filter((s): s is string => typeof s === 'string') : [];
}
