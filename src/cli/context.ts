import { loadStoreSettings, type StoreSettings } from '../config/light.js';
import type { GlobalOptions, Output } from './output.js';

/* Read-only commands import only this file: it keeps their start-up short. */

/** Only `app` and `store`: read-only commands start fast and need no deploy secrets. */
export async function lightConfig(opts: GlobalOptions, out: Output): Promise<StoreSettings> {
  const settings = await loadStoreSettings({ configPath: opts.config, environment: opts.env });
  out.masker = settings.masker;
  return settings;
}
