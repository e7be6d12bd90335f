import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Most of the suite waits on real processes, servers and timers rather than computing:
    // on a 2-core machine vitest's default (cores - 1 = one file at a time) leaves the CPUs idle.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
