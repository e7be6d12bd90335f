import { describe, expect, it } from 'vitest';
import { applyEvent, describeEvent, formatSeconds, historyQuery, SseParser, startedRollout, STATUSES, tokenFromFragment, versionRows, type JournalEvent, type RolloutView } from '../../../dashboard/model.js';
import { DEPLOYMENT_STATUSES } from '../../../src/store/contract.js';

/** The dashboard's pure browser module, run in Node: the journal events a failing canary writes, in order. */

const ctx = { environment: 'production', kind: 'deploy', version: 'v1.1.0' };
let seq = 10;
const ev = (type: string, data: Record<string, unknown>): JournalEvent => ({ seq: ++seq, deploymentId: 'dep_20260101T120000Z_0abcd', at: '2026-01-01T12:00:01.000Z', type, stage: 'deploy', step: null, data, context: ctx });
const stats = (version: string, errorRate: number, p95: number, requests: number) => ({ version, windowMs: 500, requests, errors5xx: Math.round(errorRate * requests), connErrors: 0, errorRate, p50: 5, p95, p99: p95 + 1 });

const FAILING_CANARY: JournalEvent[] = [
  ev('deploy:started', { deploymentId: 'dep_20260101T120000Z_0abcd', app: 'web', environment: 'production', version: 'v1.1.0', kind: 'deploy', previousVersion: 'v1.0.0', stages: ['gates', 'deploy'] }),
  ev('stage:started', { stage: 'deploy' }),
  ev('rollout:step', { step: 'canary', status: 'started', trafficPercentage: 50, weights: { 'v1.0.0': 50, 'v1.1.0': 50 }, durationMs: 0 }),
  ev('rollout:weights', { weights: { 'v1.0.0': 50, 'v1.1.0': 50 }, reason: 'step canary' }),
  ev('rollout:evaluation', { evaluation: { step: 'canary', verdict: 'fail', reasons: ['error rate 48.0% is above 5.0%'], candidate: stats('v1.1.0', 0.48, 12, 25), stable: stats('v1.0.0', 0, 9, 30), probes: [] }, failures: 1, failureLimit: 2 }),
  ev('rollout:weights', { weights: { 'v1.0.0': 100 }, reason: 'revert: analysis failed 2 times' }),
  ev('rollout:step', { step: 'canary', status: 'failed', trafficPercentage: 50, weights: { 'v1.0.0': 100 }, durationMs: 1200 }),
  ev('deploy:finished', { status: 'rolled_back', durationMs: 3000, error: 'analysis failed', recordPath: null }),
];

function replay(events: JournalEvent[]): RolloutView {
  return events.slice(1).reduce(applyEvent, startedRollout(events[0]!));
}

describe('the rollout view built from the journal', () => {
  it('follows weights, figures per version and the outcome', () => {
    const mid = replay(FAILING_CANARY.slice(0, 5));
    expect(versionRows(mid)).toEqual([
      { version: 'v1.1.0', role: 'candidate', weight: 50, stats: { requests: 25, errorRate: 0.48, p95: 12, ejected: false } },
      { version: 'v1.0.0', role: 'stable', weight: 50, stats: { requests: 30, errorRate: 0, p95: 9, ejected: false } },
    ]);
    expect(mid).toMatchObject({ status: 'running', step: 'canary', verdict: 'fail', failures: 1, failureLimit: 2 });
    const end = replay(FAILING_CANARY);
    expect(end).toMatchObject({ status: 'rolled_back', error: 'analysis failed', weights: { 'v1.0.0': 100 } });
    expect(versionRows(end).map((r) => [r.version, r.weight])).toEqual([['v1.1.0', 0], ['v1.0.0', 100]]);
    // Each change of weights once, in order (a step and its weights event set the same ones).
    expect(end.weightHistory.map((w) => w.weights)).toEqual([{ 'v1.0.0': 50, 'v1.1.0': 50 }, { 'v1.0.0': 100 }]);
  });

  it('ignores events it already applied, so a journal read and the live stream may overlap', () => {
    const once = replay(FAILING_CANARY.slice(0, 4));
    const again = FAILING_CANARY.slice(2, 4).reduce(applyEvent, once);
    expect(again).toEqual(once);
    expect(replay([...FAILING_CANARY.slice(0, 4), ...FAILING_CANARY.slice(1)])).toEqual(replay(FAILING_CANARY));
  });

  it('describes each event for the timeline', () => {
    expect(FAILING_CANARY.map(describeEvent)).toEqual([
      'deploy v1.1.0 started (live: v1.0.0)',
      'stage deploy started',
      'rollout canary started at 50%: v1.0.0 50% · v1.1.0 50%',
      'weights v1.0.0 50% · v1.1.0 50% (step canary)',
      'analysis canary: fail — error rate 48.0% is above 5.0%',
      'weights v1.0.0 100% (revert: analysis failed 2 times)',
      'rollout canary failed at 50%: v1.0.0 100%',
      'finished: rolled back — analysis failed',
    ]);
  });
});

describe('the stream parser', () => {
  it('puts messages together across chunks and skips comments', () => {
    const parser = new SseParser();
    const text = ': shipgate journal\n\nid: 7\nevent: deploy:started\ndata: {"a":1}\n\n: keepalive\n\nid: 8\nevent: x\ndata: line1\ndata: line2\n\n';
    const got = [...text].flatMap((c) => parser.push(c)); // one character at a time
    expect(got).toEqual([
      { id: '7', event: 'deploy:started', data: '{"a":1}' },
      { id: '8', event: 'x', data: 'line1\nline2' },
    ]);
    expect(new SseParser().push('id: 1\r\ndata: x\r\n\r\n')).toEqual([{ id: '1', event: 'message', data: 'x' }]);
  });
});

describe('small things', () => {
  it('offers every deployment status as a history filter', () => {
    expect(STATUSES).toEqual([...DEPLOYMENT_STATUSES]);
  });

  it('reads the token from the fragment only when there is one', () => {
    expect(tokenFromFragment('#token=abc%2Fdef')).toBe('abc/def');
    expect(tokenFromFragment('#x=1&token=t0k')).toBe('t0k');
    expect(tokenFromFragment('#token=')).toBeNull();
    expect(tokenFromFragment('#token=%E0%A4%A')).toBeNull();
    expect(tokenFromFragment('')).toBeNull();
  });

  it('builds the history query from the filters and formats durations', () => {
    expect(historyQuery({ environment: '', status: '' })).toBe('/api/deployments?limit=50');
    expect(historyQuery({ environment: 'staging', status: 'rolled_back' })).toBe('/api/deployments?limit=50&environment=staging&status=rolled_back');
    expect([null, 5, 95, 7260, 90_000].map(formatSeconds)).toEqual(['–', '5s', '1m 35s', '2h 1m', '1d 1h']);
  });
});
