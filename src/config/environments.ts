import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { ConfigError } from '../errors.js';
import { isPlainObject } from './merge.js';
import { formatPath } from './paths.js';

/* The parts of reading a config that need no YAML parser (read-only commands often skip it). */

export const DEFAULT_CONFIG_FILE = 'shipgate.yaml';
/** The environment name when the config has no `environments` block. */
export const DEFAULT_ENVIRONMENT = 'production';

/** A config is a few kilobytes; anything past this is not one (and `--config /dev/zero` must end). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
const READ_CHUNK = 64 * 1024;

/**
 * The config file's text, or a ConfigError naming the file. Only a regular file
 * of at most MAX_CONFIG_BYTES is read: a folder, a FIFO or a device is refused
 * before reading, and reading stops past the limit (a /proc file says size 0).
 */
export function readConfigText(path: string): string {
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`no config file at ${path} (create ${DEFAULT_CONFIG_FILE} or pass --config FILE)`);
    throw new ConfigError(`cannot read config file ${path}: ${code ?? String(err)}`, [], { cause: err });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new ConfigError(`cannot read config file ${path}: it is ${fileKind(stats)} (expected a YAML file)`);
    return readCapped(fd, path);
  } finally {
    closeSync(fd);
  }
}

function readCapped(fd: number, path: string): string {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    const n = readSync(fd, chunk, 0, READ_CHUNK, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > MAX_CONFIG_BYTES) throw new ConfigError(`cannot read config file ${path}: it is larger than ${MAX_CONFIG_BYTES} bytes (expected a config of ordinary size)`);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function fileKind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  return 'not a regular file';
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
