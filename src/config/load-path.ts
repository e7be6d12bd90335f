import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { DEFAULT_CONFIG_FILE } from './environments.js';

export interface LoadConfigOptions {
  /**
   * Path of the config file, relative to `cwd`.
   * @default the nearest "shipgate.yaml": in `cwd`, else in the closest parent folder that has one, not above a git repository's root
   */
  configPath?: string;
  /** @default process.cwd() */
  cwd?: string;
  /** Environment to resolve; may be omitted when the config has exactly one. */
  environment?: string;
  /** Source of `${VAR}`. @default process.env */
  env?: NodeJS.ProcessEnv;
}

export function resolveConfigPath(opts: Pick<LoadConfigOptions, 'configPath' | 'cwd'>): string {
  const cwd = opts.cwd ?? process.cwd();
  if (opts.configPath !== undefined) return resolve(cwd, opts.configPath);
  const found = findConfigFile(cwd);
  if ('path' in found) return found.path;
  const above = found.top === resolve(cwd) ? '' : ` or a parent folder up to ${found.top}`;
  const repo = found.repositoryRoot ? ' (the root of its git repository)' : '';
  throw new ConfigError(`no config file: no ${DEFAULT_CONFIG_FILE} in ${resolve(cwd)}${above}${repo} (create one or pass --config FILE)`);
}

/**
 * Looks for the config as git looks for `.git`: in `start`, then in each parent
 * folder. The search stops at the first folder that has one, and never goes
 * above the root of a git repository (a folder with `.git`): in a repository, a
 * stray config above it belongs to something else.
 */
export function findConfigFile(start: string, exists: (path: string) => boolean = pathExists): { path: string } | { top: string; repositoryRoot: boolean } {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    const candidate = join(dir, DEFAULT_CONFIG_FILE);
    if (exists(candidate)) return { path: candidate };
    if (exists(join(dir, '.git'))) return { top: dir, repositoryRoot: true };
    if (dirname(dir) === dir) return { top: dir, repositoryRoot: false };
  }
}

function pathExists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    // A folder we may not look into holds nothing we can read.
    return false;
  }
}
