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
  return settings;
}

/** The agent folder of the one environment a command is about: `.shipgate/agent/<environment>`. */
export async function agentDirOf(opts: GlobalOptions, out: Output): Promise<{ root: string; environment: string; dir: string }> {
  const settings = await lightConfig(opts, out, { requireEnvironment: true });
  const { agentStateDir } = await import('../agent/paths.js');
  const environment = settings.environment!;
  return { root: settings.root, environment, dir: agentStateDir(settings.root, environment) };
}
