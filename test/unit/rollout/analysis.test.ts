import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_P95_MS, evaluate, type EvaluationInput } from '../../../src/rollout/analysis.js';
import { analysisConfig, probe, stats } from './helpers.js';

const AT = '2026-11-23T17:00:10.000Z';

function input(over: Partial<EvaluationInput> = {}): EvaluationInput {
  return { step: 'canary', candidate: stats('v2', { requests: 1000, errors: 5, p95: 200 }), stable: stats('v1', { requests: 19000, errors: 19, p95: 180 }), probes: [probe('v2-1', true), probe('v2-2', true)], at: AT, ...over };
}

describe('evaluate', () => {
  it('passes a healthy window and says why, with the figures', () => {
    const e = evaluate(analysisConfig(), input());
    expect(e).toEqual({
      at: AT,
      step: 'canary',
      verdict: 'pass',
      reasons: ['error rate 0.5% (5 of 1000 requests) is within 1.0%', 'p95 latency 200ms is within 3000ms'],
      candidate: input().candidate,
      stable: input().stable,
      probes: input().probes,
    });
  });

  it('fails on the error rate above maxErrorRate (5xx and connection errors together)', () => {
    const e = evaluate(analysisConfig(), input({ candidate: stats('v2', { requests: 60, errors: 9, conn: 3 }) }));
    expect(e.verdict).toBe('fail');
    expect(e.reasons).toEqual(['error rate 20.0% (12 of 60 requests) is above 1.0%']);
  });

  it('an error rate exactly at the limit passes', () => {
    expect(evaluate(analysisConfig(), input({ candidate: stats('v2', { requests: 100, errors: 1 }) })).verdict).toBe('pass');
  });

  it('fails on p95 above maxP95, 3 s when not set', () => {
    expect(DEFAULT_MAX_P95_MS).toBe(3000);
    const slow = input({ candidate: stats('v2', { requests: 100, p95: 3400 }) });
    expect(evaluate(analysisConfig(), slow).reasons).toEqual(['p95 latency 3400ms is above 3000ms']);
    const e = evaluate(analysisConfig({ maxP95: '500ms' }), input({ candidate: stats('v2', { requests: 100, p95: 640 }) }));
    expect([e.verdict, e.reasons]).toEqual(['fail', ['p95 latency 640ms is above 500ms']]);
  });

  it('fails on any failed probe of a candidate instance, even in a quiet window', () => {
    const probes = [probe('v2-1', true), probe('v2-2', false, 'connection refused')];
    expect(evaluate(analysisConfig(), input({ probes })).reasons).toEqual(['probe of instance v2-2 (v2) failed: connection refused']);
    const quiet = evaluate(analysisConfig(), input({ probes, candidate: stats('v2', { requests: 3 }) }));
    expect([quiet.verdict, quiet.reasons]).toEqual(['fail', ['probe of instance v2-2 (v2) failed: connection refused']]);
  });

  it('ignores probes when analysis.probe is false', () => {
    const e = evaluate(analysisConfig({ probe: false }), input({ probes: [probe('v2-1', false)] }));
    expect(e.verdict).toBe('pass');
  });

  it('fails a candidate the router ejected, even with fewer than minRequests in the window', () => {
    const ejected = { ...stats('v2', { requests: 5, errors: 5 }), ejected: true };
    const e = evaluate(analysisConfig({ minRequests: 20 }), input({ candidate: ejected }));
    expect(e.verdict).toBe('fail');
    expect(e.reasons).toEqual(['the router ejected v2: its answers failed again and again in a row (error rate 100.0%, 5 of 5 requests in the last 10s)']);
    expect(evaluate(analysisConfig({ minRequests: 20 }), input({ candidate: { ...ejected, ejected: false } })).verdict).toBe('inconclusive');
  });

  it('is inconclusive with fewer than minRequests in the window', () => {
    const e = evaluate(analysisConfig(), input({ candidate: stats('v2', { requests: 12, errors: 6 }) }));
    expect([e.verdict, e.reasons]).toEqual(['inconclusive', ['only 12 requests to v2 in the last 10s (fewer than 20), so this window is inconclusive']]);
    const one = evaluate(analysisConfig({ minRequests: 5 }), input({ candidate: stats('v2', { requests: 1, windowMs: 1500 }) }));
    expect(one.reasons).toEqual(['only 1 request to v2 in the last 1500ms (fewer than 5), so this window is inconclusive']);
  });

  it('with minRequests 0, an empty window passes (nothing to measure)', () => {
    const e = evaluate(analysisConfig({ minRequests: 0 }), input({ candidate: stats('v2', { requests: 0 }) }));
    expect([e.verdict, e.reasons]).toEqual(['pass', ['error rate 0.0% (0 of 0 requests) is within 1.0%', 'no p95 latency measured']]);
  });

  it('lists every failed check', () => {
    const e = evaluate(analysisConfig(), input({ candidate: stats('v2', { requests: 50, errors: 5, p95: 4000 }), probes: [probe('v2-1', false)] }));
    expect(e.reasons).toEqual(['probe of instance v2-1 (v2) failed: HTTP 503', 'error rate 10.0% (5 of 50 requests) is above 1.0%', 'p95 latency 4000ms is above 3000ms']);
  });

  describe('compareToStable', () => {
    const cfg = analysisConfig({ maxErrorRate: 0.05, compareToStable: { maxErrorRateIncrease: 0.01, maxP95Increase: '500ms' } });

    it('fails when the candidate is worse than stable by more than the margins', () => {
      const e = evaluate(cfg, input({ candidate: stats('v2', { requests: 1000, errors: 30, p95: 900 }), stable: stats('v1', { requests: 1000, errors: 5, p95: 300 }) }));
      expect(e.verdict).toBe('fail');
      expect(e.reasons).toEqual(["error rate 3.0% is 2.5 points above stable's 0.5% (more than 1.0 points)", "p95 latency 900ms is 600ms above stable's 300ms (more than 500ms)"]);
    });

    it('passes within the margins, saying so', () => {
      const e = evaluate(cfg, input({ candidate: stats('v2', { requests: 1000, errors: 10, p95: 250 }), stable: stats('v1', { requests: 1000, errors: 5, p95: 300 }) }));
      expect(e.verdict).toBe('pass');
      expect(e.reasons).toEqual([
        'error rate 1.0% (10 of 1000 requests) is within 5.0%',
        'p95 latency 250ms is within 3000ms',
        "error rate 1.0% is 0.5 points above stable's 0.5% (allowed: 1.0 points)",
        "p95 latency 250ms is 50ms below stable's 300ms (allowed: 500ms)",
      ]);
    });

    it('does not compare when stable had fewer than minRequests', () => {
      const e = evaluate(cfg, input({ candidate: stats('v2', { requests: 1000, errors: 30 }), stable: stats('v1', { requests: 5 }) }));
      expect(e.verdict).toBe('pass');
      expect(e.reasons.at(-1)).toBe('stable v1 had only 5 requests (fewer than 20), so it was not compared');
    });

    it('does not compare without a stable version', () => {
      const e = evaluate(cfg, input({ stable: null }));
      expect([e.verdict, e.reasons.at(-1)]).toEqual(['pass', 'no stable version to compare with']);
    });

    it('is off unless configured', () => {
      const e = evaluate(analysisConfig({ maxErrorRate: 0.05 }), input({ candidate: stats('v2', { requests: 1000, errors: 40 }), stable: stats('v1', { requests: 1000 }) }));
      expect(e.verdict).toBe('pass');
    });
  });
});
