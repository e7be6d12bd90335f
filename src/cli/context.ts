import { userInfo } from 'node:os';
import { loadStoreSettings, type StoreSettings } from '../config/light.js';
import type { Store } from '../store/contract.js';
import { openExistingStore, openStore } from '../store/index.js';
import type { GlobalOptions, Output } from './output.js';

/* Read-only commands import only this file: it keeps their start-up short. */

/** Only `app` and `store`: read-only commands start fast and need no deploy secrets. */
export function lightConfig(opts: GlobalOptions, out: Output): StoreSettings {
  const settings = loadStoreSettings({ configPath: opts.config, environment: opts.env });
  out.masker = settings.masker;
  return settings;
}

export async function openStoreFor(url: string, root: string): Promise<Store> {
  return openStore(url, { root });
}

/** Read-only use that must change nothing (dry run): null when the SQLite file does not exist yet. */
export async function openStoreIfExists(url: string, root: string): Promise<Store | null> {
  return openExistingStore(url, { root });
}

/** Who is acting: --actor, then SHIPGATE_ACTOR, GITHUB_ACTOR, USER, the OS user. */
export function resolveActor(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = flag ?? env.SHIPGATE_ACTOR ?? env.GITHUB_ACTOR ?? env.USER ?? safeUser();
  return name.trim() || 'unknown';
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

