import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART, recentExits, restartDelay } from '../../../../src/agent/dataplane/restart-policy.js';

describe('restartDelay', () => {
  it('restarts a router that died once almost at once (well within a second)', () => {
    expect(restartDelay([10_000], 10_000)).toBe(DEFAULT_RESTART.firstMs);
  });

  it('doubles the pause for a router that keeps dying, up to maxMs', () => {
    const now = 100_000;
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(Array.from({ length: n }, (_, i) => now - i * 100), now));
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 3200, 5000]);
  });

  it('forgets exits older than the window', () => {
    const now = 100_000;
    expect(restartDelay([now - DEFAULT_RESTART.windowMs - 1, now - 40_000, now], now)).toBe(50);
    expect(recentExits([now - DEFAULT_RESTART.windowMs - 1, now - 1000, now], now)).toEqual([now - 1000, now]);
  });
});
