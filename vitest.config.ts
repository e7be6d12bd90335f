import { defineConfig } from 'vitest/config';
import Sequencer from './test/support/sequencer.js';

export default defineConfig({
  test: {
    pool: 'forks',
    // Most of the suite waits on real processes, servers and timers rather than computing:
    // on a 2-core machine vitest's default (cores - 1 = one file at a time) leaves the CPUs idle.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/support/global-setup.ts'],
    sequence: { sequencer: Sequencer },
    projects: [
      {
        extends: true,
        // Pure code: its files share a worker's module cache instead of a fresh process each
        // (which cost more CPU than the tests themselves, a third of the run's CPU budget).
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        // Real processes, servers and databases: each file in a process of its own. On a loaded
        // 2-core machine a test that takes 15 s alone can take 35 s: the timeout is a safety net.
        test: { name: 'system', include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
      },
    ],
  },
});
