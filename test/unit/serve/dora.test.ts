import { describe, expect, it } from 'vitest';
import { computeDora, doraWindow, firstIdAt, type IncidentFacts } from '../../../src/serve/dora.js';
import type { DeploymentFacts } from '../../../src/store/monitoring.js';

let serial = 0;

/** A deployment of the fixture: its id is made from its start time, as the real ids are. */
function dep(startedAt: string, finishedAt: string | null, rest: Partial<DeploymentFacts> = {}): DeploymentFacts {
  return {
    id: `${firstIdAt(startedAt)}_00${(serial++).toString(36).padStart(3, '0')}`,
    environment: 'production',
    kind: 'deploy',
    status: 'succeeded',
    startedAt,
    finishedAt,
    rollbackOf: null,
    commitAt: null,
    ...rest,
  };
}

const d2 = dep('2026-01-02T10:00:00.000Z', '2026-01-02T10:05:00.000Z', { status: 'rolled_back' });
const d3 = dep('2026-01-03T10:00:00.000Z', '2026-01-03T10:20:00.000Z', { commitAt: '2026-01-03T09:00:00.000Z' });

const d5 = dep('2026-01-05T10:00:00.000Z', '2026-01-05T10:01:00.000Z', { status: 'failed' });
const d6 = dep('2026-01-06T10:00:00.000Z', '2026-01-06T10:31:00.000Z');

/** Ten days of production; the figures below are worked out by hand in the comments. */
const FIXTURE: DeploymentFacts[] = [
  dep('2025-12-31T22:50:00.000Z', '2025-12-31T23:00:00.000Z'), // before the window
  // succeeded, lead time 08:00 -> 10:10 = 7800 s
  dep('2026-01-01T10:00:00.000Z', '2026-01-01T10:10:00.000Z', { commitAt: '2026-01-01T08:00:00.000Z' }),
  // rolled back by its own undo: restored after 5 min = 300 s
  d2,
  // succeeded (lead 4800 s), then rolled back by hand: a failed change, restored 10:20 -> 11:02 = 2520 s
  d3,
  dep('2026-01-03T11:00:00.000Z', '2026-01-03T11:02:00.000Z', { kind: 'rollback', rollbackOf: d3.id }),
  // failed, restored by the next success 2026-01-06T10:31: 24 h 30 min = 88200 s
  d5,
  dep('2026-01-05T12:00:00.000Z', '2026-01-05T12:00:00.000Z', { status: 'blocked' }), // not a change
  d6, // succeeded, no commit time
  dep('2026-01-07T10:00:00.000Z', '2026-01-07T10:10:00.000Z', { environment: 'staging', status: 'failed' }), // another environment
  // rollback_failed, restored by the success that ends at the window's end: 10:10 -> 24:00 = 49800 s
  dep('2026-01-10T10:00:00.000Z', '2026-01-10T10:10:00.000Z', { status: 'rollback_failed' }),
  dep('2026-01-10T23:50:00.000Z', '2026-01-11T00:00:00.000Z'), // finishes at the (exclusive) end: outside
];

describe('computeDora', () => {
  const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-11T00:00:00.000Z' };

  it('matches the hand-computed figures of the fixture', () => {
    // changes in the window: 6 (3 succeeded, of which 1 rolled back by hand; rolled_back, failed, rollback_failed)
    expect(computeDora(FIXTURE, 'production', window)).toEqual({
      environment: 'production',
      deployments: 3,
      deploymentFrequencyPerDay: 0.3, // 3 in 10 days
      leadTimeSeconds: 6300, // median of 7800 and 4800
      changeFailureRate: 4 / 6,
      timeToRestoreSeconds: 26160, // median of 300, 2520, 49800, 88200
    });
  });

  it('does not depend on the order of the rows', () => {
    expect(computeDora([...FIXTURE].reverse(), 'production', window)).toEqual(computeDora(FIXTURE, 'production', window));
  });

  it('gives nulls, not zeros or NaN, where there is nothing to measure', () => {
    expect(computeDora(FIXTURE, 'nowhere', window)).toEqual({
      environment: 'nowhere',
      deployments: 0,
      deploymentFrequencyPerDay: 0,
      leadTimeSeconds: null,
      changeFailureRate: null,
      timeToRestoreSeconds: null,
    });
  });

  it('leaves out a failure nothing has restored yet', () => {
    const open = [dep('2026-01-02T10:00:00.000Z', '2026-01-02T10:01:00.000Z', { status: 'failed' })];
    expect(computeDora(open, 'production', window)).toMatchObject({ changeFailureRate: 1, timeToRestoreSeconds: null });
  });
});

function incident(openedAt: string, resolvedAt: string | null, deploymentIds: string[], environment = 'production'): IncidentFacts {
  return { environment, openedAt, resolvedAt, deploymentIds };
}

/** Incidents over the same ten days; what each does to the restore samples is worked out in the comments. */
const INCIDENTS: IncidentFacts[] = [
  // linked to the failed deploy d5 (finished 01-05 10:01), resolved 10:11: its restore becomes the earlier
  // of 88200 s (next success) and 10:01 -> 10:11 = 600 s
  incident('2026-01-05T10:02:00.000Z', '2026-01-05T10:11:00.000Z', [d5.id]),
  // linked to d2 (rolled back by its own undo, 300 s), resolved much later as documentation: never lengthens it, 300 s stays
  incident('2026-01-02T10:10:00.000Z', '2026-01-02T18:00:00.000Z', [d2.id]),
  // linked to the manual rollback of d3 (restored 2520 s at 11:02), resolved 11:30: later, so 2520 s stays
  incident('2026-01-03T11:05:00.000Z', '2026-01-03T11:30:00.000Z', [d3.id]),
  // an outage after the succeeded d6 (no failed change): one more sample, 09:00 -> 09:30 = 1800 s
  incident('2026-01-07T09:00:00.000Z', '2026-01-07T09:30:00.000Z', [d6.id]),
  // still open: no sample
  incident('2026-01-08T09:00:00.000Z', null, [d6.id]),
  // opened before the window: no sample
  incident('2025-12-31T20:00:00.000Z', '2026-01-01T01:00:00.000Z', []),
  // another environment: no sample in production
  incident('2026-01-07T09:00:00.000Z', '2026-01-07T10:00:00.000Z', [], 'staging'),
];

describe('computeDora with incidents', () => {
  const window = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-11T00:00:00.000Z' };

  it('matches the hand-computed figures: incidents end failures sooner and add degradations of their own', () => {
    // restore samples: 300 (d2), 2520 (d3), 600 (d5, by its incident), 49800 (rollback_failed), 1800 (outage after d6)
    // sorted 300, 600, 1800, 2520, 49800: median 1800 s (without incidents it is 26160). The other keys are those of the fixture without incidents.
    expect(computeDora(FIXTURE, 'production', window, INCIDENTS)).toEqual({
      environment: 'production',
      deployments: 3,
      deploymentFrequencyPerDay: 0.3,
      leadTimeSeconds: 6300,
      changeFailureRate: 4 / 6,
      timeToRestoreSeconds: 1800,
    });
  });

  it('a failure nothing else restored is restored by the resolution of its incident', () => {
    const open = dep('2026-01-02T10:00:00.000Z', '2026-01-02T10:01:00.000Z', { status: 'failed' });
    // 10:01 -> 10:31 = 1800 s
    const resolved = [incident('2026-01-02T10:05:00.000Z', '2026-01-02T10:31:00.000Z', [open.id])];
    expect(computeDora([open], 'production', window, resolved)).toMatchObject({ changeFailureRate: 1, timeToRestoreSeconds: 1800 });
  });

  it('staging hears only its own incident: 09:00 -> 10:00 = 3600 s beside its failed deploy that nothing restored', () => {
    expect(computeDora(FIXTURE, 'staging', window, INCIDENTS)).toMatchObject({ timeToRestoreSeconds: 3600 });
  });
});

describe('doraWindow and firstIdAt', () => {
  it('spans the last days before now, and the first id of a time sorts before every id started then', () => {
    expect(doraWindow(Date.parse('2026-01-31T00:00:00.000Z'), 30)).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-01-31T00:00:00.000Z' });
    expect(firstIdAt('2026-01-01T00:00:00.000Z')).toBe('dep_20260101T000000Z');
    expect('dep_20260101T000000Z_00abc' >= firstIdAt('2026-01-01T00:00:00.000Z')).toBe(true);
  });
});
