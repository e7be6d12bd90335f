import { resolve } from 'node:path';
import { DEFAULT_CONFIG_FILE } from './environments.js';

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

export function resolveConfigPath(opts: Pick<LoadConfigOptions, 'configPath' | 'cwd'>): string {
  return resolve(opts.cwd ?? process.cwd(), opts.configPath ?? DEFAULT_CONFIG_FILE);
}
