import { describe, expect, it } from 'vitest';
import { oldestFirst } from '../../../src/storage/order.js';

describe('oldestFirst', () => {
  it('sorts by time, then by key among equal times', () => {
    const o = (key: string, modifiedAt: string) => ({ key, size: 1, modifiedAt });
    const sorted = [o('b', '2026-01-02T00:00:00.000Z'), o('z', '2026-01-01T00:00:00.000Z'), o('a', '2026-01-02T00:00:00.000Z'), o('c', '2025-12-31T23:59:59.999Z')].sort(oldestFirst);
    expect(sorted.map((x) => x.key)).toEqual(['c', 'z', 'a', 'b']);
  });
});
