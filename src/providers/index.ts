import type { ProviderConfig, RolloutConfig } from '../config/schema/index.js';
import { createCommandProvider } from './command/command-provider.js';
import type { Provider } from './contract.js';
import { createLocalProvider } from './local/local-provider.js';
import { createFlyProvider } from './fly/fly-provider.js';

/** Picks the provider implementation from config. Adding one means adding one folder and one case. */
export function createProvider(cfg: ProviderConfig, rollout?: RolloutConfig): Provider {
  switch (cfg.type) {
    case 'command':
      return createCommandProvider(cfg);
    case 'local':
      return createLocalProvider(cfg, rollout);
    case 'fly':
      return createFlyProvider(cfg, rollout);
  }
}

export type { Provider } from './contract.js';
