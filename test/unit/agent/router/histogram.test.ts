import { describe, expect, it } from 'vitest';
import { binOf, binValue, HIST_BINS, HIST_MIN_MS, quantile } from '../../../../src/agent/router/histogram.js';

describe('latency histogram', () => {
  it('puts values below the minimum in bin 0 and huge ones in the last bin', () => {
    expect(binOf(0)).toBe(0);
    expect(binOf(HIST_MIN_MS / 2)).toBe(0);
    expect(binOf(HIST_MIN_MS)).toBe(1);
    expect(binOf(1e9)).toBe(HIST_BINS - 1);
    expect(binOf(Number.NaN)).toBe(0);
  });

  it('reads every value back within 5% from 0.1 ms to 60 s', () => {
    for (let ms = 0.1; ms < 60_000; ms *= 1.37) {
      expect(Math.abs(binValue(binOf(ms)) - ms) / ms).toBeLessThan(0.05);
    }
  });

  it('bins grow monotonically', () => {
    let last = -1;
    for (let ms = 0.01; ms < 100_000; ms *= 1.01) {
      const bin = binOf(ms);
      expect(bin).toBeGreaterThanOrEqual(last);
      last = bin;
    }
  });

  it('takes nearest-rank quantiles from counts, clamped to the seen range', () => {
    const counts = new Array<number>(HIST_BINS).fill(0);
    for (let i = 1; i <= 100; i++) counts[binOf(i)]!++;
    expect(quantile(counts, 100, 0.5, 1, 100)).toBeCloseTo(50, -0.5);
    expect(Math.abs(quantile(counts, 100, 0.99, 1, 100)! - 99) / 99).toBeLessThan(0.05);
    expect(quantile(counts, 100, 1, 1, 100)).toBeLessThanOrEqual(100);
    expect(quantile(counts, 0, 0.5, Infinity, 0)).toBeNull();
    const one = new Array<number>(HIST_BINS).fill(0);
    one[binOf(42)] = 1;
    expect(quantile(one, 1, 0.5, 42, 42)).toBe(42);
  });
});
