import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmoothWeighted } from '../../../../src/agent/router/weighted.js';

function counts<T>(picker: SmoothWeighted<T>, n: number): Map<T, number> {
  const seen = new Map<T, number>();
  for (let i = 0; i < n; i++) {
    const item = picker.next()!;
    seen.set(item, (seen.get(item) ?? 0) + 1);
  }
  return seen;
}

describe('SmoothWeighted', () => {
  it('sends exactly 5 of every 100 consecutive picks to a version at weight 5', () => {
    const picker = new SmoothWeighted([
      ['v1', 95],
      ['v2', 5],
    ]);
    const picks = Array.from({ length: 1000 }, () => picker.next());
    for (let start = 0; start + 100 <= picks.length; start += 1) {
      expect(picks.slice(start, start + 100).filter((v) => v === 'v2')).toHaveLength(5);
    }
  });

  it('spreads the light version out instead of bunching it', () => {
    const picker = new SmoothWeighted([
      ['v1', 95],
      ['v2', 5],
    ]);
    const at = Array.from({ length: 100 }, () => picker.next()).flatMap((v, i) => (v === 'v2' ? [i] : []));
    const gaps = at.slice(1).map((i, k) => i - at[k]!);
    expect(gaps.every((g) => g === 20)).toBe(true);
  });

  it('alternates at 50/50 and never picks a version at weight 0', () => {
    const half = new SmoothWeighted([
      ['a', 50],
      ['b', 50],
    ]);
    expect(Array.from({ length: 6 }, () => half.next())).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    const zero = new SmoothWeighted([
      ['a', 0],
      ['b', 100],
    ]);
    expect(counts(zero, 100)).toEqual(new Map([['b', 100]]));
    expect(zero.size).toBe(1);
  });

  it('has nothing to pick without a positive weight', () => {
    expect(new SmoothWeighted([['a', 0]]).next()).toBeUndefined();
    expect(new SmoothWeighted<string>([]).next()).toBeUndefined();
  });

  it('is exact over every cycle of sum(weights) picks, for any weights (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 200 }), (weights, skip) => {
        const total = weights.reduce((s, w) => s + w, 0);
        fc.pre(total > 0);
        const picker = new SmoothWeighted(weights.map((w, i) => [i, w] as const));
        for (let i = 0; i < skip; i++) picker.next();
        const seen = counts(picker, total);
        weights.forEach((w, i) => expect(seen.get(i) ?? 0).toBe(w));
      }),
    );
  });

  it('map() keeps the place in the cycle', () => {
    const picker = new SmoothWeighted([
      ['a', 3],
      ['b', 1],
    ]);
    const first = [picker.next(), picker.next()];
    const mapped = picker.map((v) => v.toUpperCase());
    const twin = new SmoothWeighted([
      ['a', 3],
      ['b', 1],
    ]);
    twin.next();
    twin.next();
    expect(first).toEqual(['a', 'a']);
    expect(Array.from({ length: 8 }, () => mapped.next())).toEqual(Array.from({ length: 8 }, () => twin.next()!.toUpperCase()));
  });
});
