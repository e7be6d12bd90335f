import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { isPlainObject } from './merge.js';

export const DEFAULT_CONFIG_FILE = 'shipgate.yaml';
/** The environment name when the config has no `environments` block. */
export const DEFAULT_ENVIRONMENT = 'production';

/** Reads and parses the YAML file; the result is a plain map or a ConfigError. */
export function readConfigDocument(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`no config file at ${path} (create ${DEFAULT_CONFIG_FILE} or pass --config FILE)`);
    throw new ConfigError(`cannot read config file ${path}: ${code ?? String(err)}`, [], { cause: err });
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, path: string): Record<string, unknown> {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(`${path} is not valid YAML:`, lines);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) throw new ConfigError(`${path} is empty: expected at least "app" and "provider"`);
  if (!isPlainObject(value)) throw new ConfigError(`${path}: expected a map of settings at the top level`);
  return value;
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

/** The overlay block for `env`, checked for keys that cannot vary per environment. */
export function environmentOverlay(doc: Record<string, unknown>, env: string): { overlay: Record<string, unknown>; errors: string[] } {
  const envs = doc.environments;
  const raw = isPlainObject(envs) ? envs[env] : undefined;
  if (raw === undefined || raw === null) return { overlay: {}, errors: [] };
  if (!isPlainObject(raw)) return { overlay: {}, errors: [`environments.${env}: expected a map of settings (got ${JSON.stringify(raw)})`] };
  const errors = ['app', 'environments']
    .filter((k) => k in raw)
    .map((k) => `environments.${env}.${k}: cannot be set per environment`);
  return { overlay: raw, errors };
}
