export { createMemoryTraffic, MemoryTraffic, DEFAULT_REQUESTS_PER_SECOND } from './memory-traffic.js';
export type { MemoryCall, MemoryMethod, MemoryRollout, MemorySnapshot, MemoryTrafficOptions } from './memory-traffic.js';
export type { ProbeAnswer, ProbeScript, StatsFigures, StatsScript } from './memory-stats.js';
