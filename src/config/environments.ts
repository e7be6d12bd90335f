import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { isPlainObject } from './merge.js';
import { formatPath } from './paths.js';

/* The parts of reading a config that need no YAML parser (read-only commands often skip it). */

export const DEFAULT_CONFIG_FILE = 'shipgate.yaml';
/** The environment name when the config has no `environments` block. */
export const DEFAULT_ENVIRONMENT = 'production';

/** The config file's text, or a ConfigError naming the file. */
export function readConfigText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`no config file at ${path} (create ${DEFAULT_CONFIG_FILE} or pass --config FILE)`);
    throw new ConfigError(`cannot read config file ${path}: ${code ?? String(err)}`, [], { cause: err });
  }
}

/** Environment names the document declares; a config without `environments` has one. */
export function environmentNames(doc: Record<string, unknown>): string[] {
  const envs = doc.environments;
  return isPlainObject(envs) && Object.keys(envs).length > 0 ? Object.keys(envs) : [DEFAULT_ENVIRONMENT];
}

/** Picks the environment: the one asked for, or the only one there is. */
export function selectEnvironment(doc: Record<string, unknown>, requested: string | undefined, path: string): string {
  const names = environmentNames(doc);
  if (requested !== undefined) {
    if (!names.includes(requested)) {
      throw new ConfigError(`unknown environment "${requested}" in ${path} (expected one of ${names.join(', ')})`);
    }
    return requested;
  }
  if (names.length === 1) return names[0]!;
  throw new ConfigError(`choose an environment with --env (one of ${names.join(', ')})`);
}

/**
 * The overlay block for `env`, checked for keys that cannot vary per environment.
 * A block that is not a map is reported by the schema, which sees `environments` too.
 */
export function environmentOverlay(doc: Record<string, unknown>, env: string): { overlay: Record<string, unknown>; errors: string[] } {
  const envs = doc.environments;
  const raw = isPlainObject(envs) && Object.hasOwn(envs, env) ? envs[env] : undefined;
  if (!isPlainObject(raw)) return { overlay: {}, errors: [] };
  const errors = ['app', 'environments']
    .filter((k) => Object.hasOwn(raw, k))
    .map((k) => `${formatPath(['environments', env, k])}: cannot be set per environment (set "${k}" once at the top level)`);
  return { overlay: raw, errors };
}
