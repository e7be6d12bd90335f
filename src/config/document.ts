import { CORE_SCHEMA, load, YAMLException } from 'js-yaml';
import { ConfigError } from '../errors.js';
import { show } from './show.js';
import { isPlainObject } from './merge.js';
import { readConfigText } from './environments.js';
import { formatPath } from './paths.js';

/** Values in a document once aliases are expanded: a guard against "billion laughs" documents. */
const MAX_NODES = 10_000;
/** Keys that reach into JavaScript's object machinery: they cannot name an environment. */
export const RESERVED_ENVIRONMENT_NAMES: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** Reads and parses the YAML file; the result is a plain map or a ConfigError. */
export function readConfigDocument(path: string): Record<string, unknown> {
  return parseConfigText(readConfigText(path), path);
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
  ensureEnvironmentNames(value, path);
  return value;
}

/**
 * The schema's record of environments drops a `__proto__` key without a word,
 * while the overlay reads it: refused here, for every command (the light reader too).
 */
function ensureEnvironmentNames(doc: Record<string, unknown>, path: string): void {
  const envs = doc.environments;
  const bad = isPlainObject(envs) ? Object.keys(envs).filter((k) => RESERVED_ENVIRONMENT_NAMES.includes(k)) : [];
  if (bad.length === 0) return;
  throw new ConfigError(
    `invalid config ${path}:`,
    bad.map((k) => `${formatPath(['environments', k])}: "${k}" cannot name an environment (it is reserved in JavaScript objects; expected a name like staging or production)`),
  );
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
