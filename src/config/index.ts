export * from './schema/index.js';
export * from './duration.js';
export { loadConfig, validateAllEnvironments, resolveDocument, resolveConfigPath } from './load.js';
export type { LoadConfigOptions, LoadedConfig, ResolvedConfig } from './load.js';
export { DEFAULT_CONFIG_FILE, DEFAULT_ENVIRONMENT, parseConfigText } from './document.js';
