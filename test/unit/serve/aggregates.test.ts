import { describe, expect, it } from 'vitest';
import { mergeAggregates, SETTLE_MS, settledBoundary } from '../../../src/serve/aggregates.js';

describe('settledBoundary', () => {
  const now = Date.parse('2026-01-20T12:00:00.000Z');
  it('is the first id of an hour ago, or the oldest unfinished deployment when that is older', () => {
    expect(SETTLE_MS).toBe(3_600_000);
    expect(settledBoundary(null, now)).toBe('dep_20260120T110000Z');
    expect(settledBoundary('dep_20260120T115959Z_00abc', now)).toBe('dep_20260120T110000Z');
    expect(settledBoundary('dep_20260101T000000Z_00abc', now)).toBe('dep_20260101T000000Z_00abc');
  });
});

describe('mergeAggregates', () => {
  it('adds counts and durations of the same environment, kind and status', () => {
    const a = { environment: 'production', kind: 'deploy' as const, status: 'succeeded' as const, count: 2, finished: 2, durationMs: 100 };
    const b = { ...a, status: 'failed' as const, count: 1, finished: 1, durationMs: 7 };
    expect(mergeAggregates([a, b], [{ ...a, count: 3, finished: 2, durationMs: 50 }])).toEqual([{ ...a, count: 5, finished: 4, durationMs: 150 }, b]);
  });
});
