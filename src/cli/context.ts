import { dirname } from 'node:path';
import { loadStoreSettings, type StoreSettings } from '../config/light.js';
import type { GlobalOptions, Output } from './output.js';

/* Read-only commands import only this file: it keeps their start-up short. */

/**
 * Only `app` and `store`: read-only commands start fast and need no deploy secrets.
 * `requireEnvironment`: commands about one environment's agent (logs, promote...)
 * refuse to guess when the config has several.
 */
export async function lightConfig(opts: GlobalOptions, out: Output, how: { requireEnvironment?: boolean } = {}): Promise<StoreSettings> {
  const settings = await loadStoreSettings({ configPath: opts.config, environment: opts.env, requireEnvironment: how.requireEnvironment });
  out.masker = settings.masker;
  noteConfigFile(settings.path, opts, out);
  return settings;
}

/**
 * Says on stderr which config file is used when it is not the obvious one (found
 * in a parent folder, not given with --config), or always with --verbose.
 */
export function noteConfigFile(path: string, opts: GlobalOptions, out: Output, cwd: string = process.cwd()): void {
  const found = opts.config === undefined && dirname(path) !== cwd;
  if (found || opts.verbose) out.err(`config: ${path}${found ? ' (found in a parent folder)' : ''}`);
}

/** The agent folder of the one environment a command is about: `.shipgate/agent/<environment>`. */
export async function agentDirOf(opts: GlobalOptions, out: Output): Promise<{ root: string; environment: string; dir: string; providerType: string | null }> {
  const settings = await lightConfig(opts, out, { requireEnvironment: true });
  const { agentStateDir } = await import('../agent/paths.js');
  const environment = settings.environment!;
  return { root: settings.root, environment, dir: agentStateDir(settings.root, environment), providerType: settings.providerType };
}
