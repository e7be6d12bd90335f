import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, nextAttempt } from '../../../../src/agent/supervisor/backoff.js';
import { FakeClock } from '../../../../src/runtime/clock.js';

describe('restart backoff', () => {
  it('starts at 1s and doubles up to 30s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('never overflows in a very long loop, and treats attempt 0 like 1', () => {
    expect(backoffDelay(10_000)).toBe(30_000);
    expect(backoffDelay(0)).toBe(1000);
  });

  it('follows a custom policy', () => {
    const policy = { ...DEFAULT_BACKOFF, initialMs: 50, maxMs: 300, factor: 3 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy))).toEqual([50, 150, 300, 300]);
  });

  it('counts consecutive failures, and starts over after a long enough run', () => {
    expect(nextAttempt(0, 100)).toBe(1);
    expect(nextAttempt(3, 59_999)).toBe(4);
    expect(nextAttempt(5, 60_000)).toBe(1);
  });

  it('schedule on a fake clock: quick crashes back off, a day-long run resets to 1s', async () => {
    const clock = new FakeClock('2025-01-01T00:00:00Z');
    const delays: number[] = [];
    let attempt = 0;
    const crashAfter = async (ranMs: number): Promise<void> => {
      const started = clock.now();
      await clock.advance(ranMs);
      attempt = nextAttempt(attempt, clock.now() - started);
      delays.push(backoffDelay(attempt));
      await clock.advance(delays.at(-1)!);
    };
    for (const ran of [200, 200, 200, 200]) await crashAfter(ran);
    await crashAfter(86_400_000);
    expect(delays).toEqual([1000, 2000, 4000, 8000, 1000]);
  });
});
