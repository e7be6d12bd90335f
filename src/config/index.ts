export * from './schema/index.js';
export * from './duration.js';
export { loadConfig, validateAllEnvironments, resolveDocument, resolveConfigPath } from './load.js';
export type { LoadConfigOptions, LoadedConfig, ResolvedConfig } from './load.js';
export { DEFAULT_CONFIG_FILE, DEFAULT_ENVIRONMENT } from './environments.js';
export { parseConfigText } from './document.js';
export { configJsonSchema, CONFIG_SCHEMA_ID } from './json-schema.js';
export type { JsonSchema } from './json-schema.js';
