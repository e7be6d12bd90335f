import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { ConfigError, errorMessage } from '../errors.js';
import { show } from './issues.js';
import { isPlainObject } from './merge.js';
import { formatPath } from './paths.js';

export const DEFAULT_CONFIG_FILE = 'shipgate.yaml';
/** The environment name when the config has no `environments` block. */
export const DEFAULT_ENVIRONMENT = 'production';
/** Aliases expanded at most this often: a guard against "billion laughs" documents. */
const MAX_ALIAS_COUNT = 100;

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
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const sorted = [...doc.errors].sort((a, b) => a.pos[0] - b.pos[0]);
    const lines = sorted.map((e) => {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      return `line ${line}, column ${col}: ${yamlErrorText(e, text)}`;
    });
    throw new ConfigError(`${path} is not valid YAML:`, [...new Set(lines)]);
  }
  const value = toPlainValue(doc, path);
  if (value === null || value === undefined) throw new ConfigError(`${path} is empty: expected at least "app" and "provider"`);
  if (!isPlainObject(value)) throw new ConfigError(`${path}: expected a map of settings at the top level (got ${show(value)})`);
  return value;
}

function yamlErrorText(e: YAMLError, text: string): string {
  if (e.code === 'DUPLICATE_KEY') return `duplicate key ${keyAt(text, e.pos[0])}(expected each key once per map)`;
  return e.message.split('\n')[0]!;
}

/** The key written at `offset` (`"name" `), or nothing when it cannot be read back. */
function keyAt(text: string, offset: number): string {
  const m = /^(?:"([^"\n]*)"|'([^'\n]*)'|([^\s:,{}[\]][^:\n,{}]*?))\s*:/.exec(text.slice(offset));
  const key = m?.[1] ?? m?.[2] ?? m?.[3];
  return key === undefined ? '' : `"${key}" `;
}

function toPlainValue(doc: Document, path: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // yaml throws for alias bombs and aliases to undefined anchors.
    throw new ConfigError(`${path} is not valid YAML:`, [errorMessage(err)], { cause: err });
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
