import { describe, expect, it } from 'vitest';
import { Metrics } from '../../../../src/agent/router/metrics.js';

const T0 = Date.parse('2026-11-23T17:00:00.000Z');

describe('Metrics', () => {
  it('counts requests, 5xx and connection errors of a version in the window', () => {
    const m = new Metrics();
    const ring = m.ring('v1');
    for (let i = 0; i < 90; i++) ring.response(T0 + i * 10, 200, 5);
    for (let i = 0; i < 8; i++) ring.response(T0 + 500, 503, 7);
    ring.connError(T0 + 900);
    ring.connError(T0 + 950);
    const s = m.stats('v1', T0 + 1000, 60_000);
    expect(s).toMatchObject({ version: 'v1', windowMs: 60_000, requests: 100, errors5xx: 8, connErrors: 2 });
    expect(s.errorRate).toBeCloseTo(0.1, 10);
  });

  it('computes percentiles from the merged buckets of the window (connection errors have no latency)', () => {
    const m = new Metrics();
    const ring = m.ring('v1');
    // 95 fast, 4 slow, 1 very slow, over three seconds
    for (let i = 0; i < 95; i++) ring.response(T0 + (i % 3) * 1000, 200, 10);
    for (let i = 0; i < 4; i++) ring.response(T0 + 1500, 200, 200);
    ring.response(T0 + 2500, 200, 900);
    ring.connError(T0 + 2600);
    const s = m.stats('v1', T0 + 2999, 10_000);
    // values read back as the middle of their log bin: within 5%
    expect(Math.abs(s.p50! - 10) / 10).toBeLessThan(0.05);
    expect(Math.abs(s.p95! - 10) / 10).toBeLessThan(0.05);
    expect(Math.abs(s.p99! - 200) / 200).toBeLessThan(0.05);
  });

  it('answers zeros and nulls for a version without traffic', () => {
    expect(new Metrics().stats('v9', T0, 60_000)).toEqual({ version: 'v9', windowMs: 60_000, requests: 0, errors5xx: 0, connErrors: 0, errorRate: 0, p50: null, p95: null, p99: null });
  });

  it('lets old buckets fall out of the window and out of the retention', () => {
    const m = new Metrics({ bucketMs: 1000, retentionMs: 300_000 });
    const ring = m.ring('v1');
    ring.response(T0, 500, 100);
    ring.response(T0 + 30_000, 200, 1);
    expect(m.stats('v1', T0 + 30_500, 60_000).requests).toBe(2);
    expect(m.stats('v1', T0 + 30_500, 10_000)).toMatchObject({ requests: 1, errors5xx: 0, p50: 1 });
    expect(m.stats('v1', T0 + 400_000, 600_000)).toMatchObject({ requests: 0, windowMs: 300_000 });
  });

  it('reuses a ring slot for a new second without carrying the old counts', () => {
    const m = new Metrics({ bucketMs: 1000, retentionMs: 5000 });
    const ring = m.ring('v1');
    ring.response(T0, 500, 50);
    ring.response(T0 + 6000, 200, 2); // same slot, six buckets later
    expect(m.stats('v1', T0 + 6000, 5000)).toMatchObject({ requests: 1, errors5xx: 0, p50: 2, p99: 2 });
  });

  it('prunes versions that left the table and went quiet', () => {
    const m = new Metrics({ bucketMs: 1000, retentionMs: 10_000 });
    m.ring('old').response(T0, 200, 1);
    m.ring('kept').response(T0, 200, 1);
    m.prune(new Set(['kept']), T0 + 5_000);
    expect(m.stats('old', T0 + 5_000, 10_000).requests).toBe(1);
    m.prune(new Set(['kept']), T0 + 20_000);
    expect(m.stats('old', T0 + 20_000, 10_000).requests).toBe(0);
    expect(m.ring('kept')).toBe(m.ring('kept'));
  });
});
