export * from './primitives.js';
export * from './health.js';
export * from './gates.js';
export * from './provider.js';
export * from './build.js';
export * from './smoke.js';
export * from './root.js';
