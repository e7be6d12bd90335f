import type { ProviderConfig } from '../config/schema/index.js';
import { createCommandProvider } from './command/command-provider.js';
import type { Provider } from './contract.js';

/** Picks the provider implementation from config. Adding one means adding one folder and one case. */
export function createProvider(cfg: ProviderConfig): Provider {
  switch (cfg.type) {
    case 'command':
      return createCommandProvider(cfg);
  }
}

export type { Provider } from './contract.js';
