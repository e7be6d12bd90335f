import type { ProviderConfig } from '../config/schema/index.js';
import { createCommandProvider } from './command/command-provider.js';
import type { Provider } from './contract.js';
import { UsageError } from '../errors.js';

/** Picks the provider implementation from config. Adding one means adding one folder and one case. */
export function createProvider(cfg: ProviderConfig): Provider {
  switch (cfg.type) {
    case 'command':
      return createCommandProvider(cfg);
    case 'local':
      throw new UsageError('provider type "local" is not available in this build yet');
  }
}

export type { Provider } from './contract.js';
