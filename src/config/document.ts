import { readFileSync } from 'node:fs';
import { CORE_SCHEMA, load, YAMLException } from 'js-yaml';
import { ConfigError } from '../errors.js';
import { show } from './show.js';
import { isPlainObject } from './merge.js';
import { formatPath } from './paths.js';

export const DEFAULT_CONFIG_FILE = 'shipgate.yaml';
/** The environment name when the config has no `environments` block. */
export const DEFAULT_ENVIRONMENT = 'production';
/** Values in a document once aliases are expanded: a guard against "billion laughs" documents. */
const MAX_NODES = 10_000;

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

/** Parses config text into a plain map; YAML errors carry their line and column. */
export function parseConfigText(text: string, path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = load(text, { schema: CORE_SCHEMA, filename: path });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    // js-yaml leaves `mark` out for some errors (a stray "..." document end, for one).
    const where = err.mark ? `line ${err.mark.line + 1}, column ${err.mark.column + 1}: ` : 'the whole file: ';
    throw new ConfigError(`${path} is not valid YAML:`, [`${where}${yamlErrorText(err, text)}`], { cause: err });
  }
  if (value === null || value === undefined) throw new ConfigError(`${path} is empty: expected at least "app" and "provider"`);
  if (!isPlainObject(value)) throw new ConfigError(`${path}: expected a map of settings at the top level (got ${show(value)})`);
  ensureReasonableSize(value, path);
  return value;
}

function yamlErrorText(e: YAMLException, text: string): string {
  if (e.reason === 'duplicated mapping key') return `duplicate key ${e.mark ? keyAt(text, e.mark.position) : ''}(expected each key once per map)`;
  if (e.reason.startsWith('unexpected end of the stream within a flow collection')) return 'a "[" or "{" is never closed (the file ended first)';
  if (e.reason === 'bad indentation of a mapping entry') return 'bad indentation of a mapping entry (check the spaces before this key)';
  const alias = /^unidentified alias "(.*)"$/.exec(e.reason);
  if (alias) return `alias *${alias[1]} has no anchor &${alias[1]} before it`;
  return e.reason;
}

/** The key written at `offset` (`"name" `), or nothing when it cannot be read back. */
function keyAt(text: string, offset: number): string {
  const m = /^\s*(?:"([^"\n]*)"|'([^'\n]*)'|([^\s:,{}[\]][^:\n,{}]*?))\s*:/.exec(text.slice(offset));
  const key = m?.[1] ?? m?.[2] ?? m?.[3];
  return key === undefined ? '' : `"${key}" `;
}

/**
 * Aliases make shared references that later copies would expand: a "billion
 * laughs" document is refused before anything walks it.
 */
function ensureReasonableSize(value: unknown, path: string): void {
  let nodes = 0;
  const walk = (v: unknown): void => {
    if (++nodes > MAX_NODES) throw new ConfigError(`${path} is not valid YAML:`, [`more than ${MAX_NODES} values once aliases are expanded (expected a config of ordinary size)`]);
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(value);
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
