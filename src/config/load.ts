import { dirname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { Masker, secretsFromEnv } from '../runtime/secrets.js';
import { DEFAULT_CONFIG_FILE, environmentNames, environmentOverlay, readConfigDocument, selectEnvironment } from './document.js';
import { interpolate } from './interpolate.js';
import { formatIssues } from './issues.js';
import { deepMerge, isOverlaid } from './merge.js';
import { ConfigSchema, type Config } from './schema/index.js';
import { ensureRules } from './rules.js';
import { formatPath as formatPathOf } from './paths.js';

export type ResolvedConfig = Omit<Config, 'environments'>;

export interface LoadConfigOptions {
  /** Path of the config file. @default "shipgate.yaml" in `cwd` */
  configPath?: string;
  /** @default process.cwd() */
  cwd?: string;
  /** Environment to resolve; may be omitted when the config has exactly one. */
  environment?: string;
  /** Source of `${VAR}`. @default process.env */
  env?: NodeJS.ProcessEnv;
}

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

export function resolveConfigPath(opts: Pick<LoadConfigOptions, 'configPath' | 'cwd'>): string {
  return resolve(opts.cwd ?? process.cwd(), opts.configPath ?? DEFAULT_CONFIG_FILE);
}

/** Loads, overlays, interpolates and validates the config for one environment. */
export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const path = resolveConfigPath(opts);
  const doc = readConfigDocument(path);
  const environment = selectEnvironment(doc, opts.environment, path);
  return resolveDocument(doc, environment, path, opts.env ?? process.env);
}

/** Validates the base config under every environment; returns all errors at once. */
export function validateAllEnvironments(opts: LoadConfigOptions = {}): { environments: string[]; errors: ConfigError[] } {
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
  return { environments: names, errors };
}

export function resolveDocument(doc: Record<string, unknown>, environment: string, path: string, env: NodeJS.ProcessEnv): LoadedConfig {
  const { environments: _drop, ...base } = doc;
  const { overlay, errors: overlayErrors } = environmentOverlay(doc, environment);
  const { value: merged, overlaid } = deepMerge(base, overlay);
  const secretNames = new Set(Array.isArray((merged as Config).secrets) ? (merged as Config).secrets.filter((s) => typeof s === 'string') : []);
  const interpolated = interpolate(merged, env, secretNames);
  const rename = (p: (string | number)[]): (string | number)[] => (isOverlaid(p, overlaid) ? ['environments', environment, ...p] : p);

  const parsed = ConfigSchema.safeParse(interpolated.value, { reportInput: true });
  const issueLines = parsed.success ? ensureRules(parsed.data).map((i) => `${formatPathOf(rename(i.path))}: ${i.message}`) : formatIssues(parsed.error.issues, ConfigSchema, rename);
  const errors = [...overlayErrors, ...interpolated.errors, ...issueLines.filter((l) => !interpolated.errors.some((e) => l.startsWith(e.split(':')[0] + ':')))];
  if (errors.length > 0 || !parsed.success) {
    throw new ConfigError(`invalid config ${path} (environment "${environment}"):`, errors);
  }
  const masker = new Masker([...interpolated.secrets, ...secretsFromEnv(env), ...[...secretNames].map((n) => env[n] ?? '')]);
  masker.add(parsed.data.store.url);
  const { environments: _e, ...config } = parsed.data;
  return { config, environment, environments: environmentNames(doc), path, root: dirname(path), masker };
}

