import { describe, expect, it } from 'vitest';
import { pendingRequests, progressOf, StoreRolloutSession, StoreSessionReader } from '../../../src/rollout/store-session.js';
import type { EventRow } from '../../../src/store/contract.js';

const row = (seq: number, type: string, data: Record<string, unknown>): EventRow & { seq: number } => ({ seq, deploymentId: 'd1', at: '2026-12-04T00:00:00Z', type, stage: null, step: null, data });

describe('the store session', () => {
  it('takes each request once, oldest first, and skips what is not a command', async () => {
    const events = [
      row(1, 'stage:started', { stage: 'deploy' }),
      row(2, 'rollout:requested', { command: 'pause', by: 'alice' }),
      row(3, 'rollout:requested', { command: 'rm -rf', by: 'mallory' }),
      row(4, 'rollout:requested', { command: 'promote' }),
    ];
    const reader = new StoreSessionReader({ listEvents: async (_id, after = 0) => events.filter((e) => e.seq > after) }, 'd1');
    expect(await reader.take()).toEqual([
      { seq: 2, command: 'pause', by: 'alice' },
      { seq: 4, command: 'promote', by: 'unknown' },
    ]);
    expect(await reader.take()).toEqual([]);
    events.push(row(9, 'rollout:requested', { command: 'abort', by: 'bob' }));
    expect(await reader.take()).toEqual([{ seq: 9, command: 'abort', by: 'bob' }]);
  });

  it('as a RolloutSession: each heartbeat brings the requests since the last; a store that fails keeps them for the next beat', async () => {
    const events = [row(1, 'rollout:requested', { command: 'pause', by: 'alice' })];
    let down = true;
    const session = new StoreRolloutSession(
      {
        listEvents: async (_id, after = 0) => {
          if (down) throw new Error('connection refused');
          return events.filter((e) => e.seq > after);
        },
      },
      'd1',
    );
    await session.beginRollout({ id: 'd1', stable: 'v1', candidate: 'v2', deadmanMs: 0 });
    await expect(session.beginRollout({ id: 'd2', stable: 'v1', candidate: 'v2', deadmanMs: 0 })).rejects.toThrow("a store rollout session is the deployment's own: d2 is not d1");
    expect(await session.heartbeat()).toEqual({ abortedByDeadman: false, commands: [], requests: [] });
    down = false;
    expect(await session.heartbeat()).toEqual({ abortedByDeadman: false, commands: ['pause'], requests: [{ seq: 1, command: 'pause', by: 'alice' }] });
    expect((await session.heartbeat()).commands).toEqual([]);
  });

  it('pendingRequests: the requests no rollout:command answers yet (a second promote is not sent while one is queued)', () => {
    const events = [
      row(1, 'rollout:requested', { command: 'pause', by: 'alice' }),
      row(2, 'rollout:command', { command: 'pause', step: 'canary', requestSeq: 1 }),
      row(3, 'rollout:requested', { command: 'promote', by: 'bob' }),
      // The local controller's own journal lines answer no request.
      row(4, 'rollout:command', { command: 'promote', step: 'canary' }),
    ];
    expect(pendingRequests(events)).toEqual([{ seq: 3, at: '2026-12-04T00:00:00Z', command: 'promote', by: 'bob' }]);
    events.push(row(5, 'rollout:command', { command: 'promote', step: 'canary', requestSeq: 3 }));
    expect(pendingRequests(events)).toEqual([]);
  });

  it('progressOf: the last step and whether it is paused, by the journal', () => {
    expect(progressOf([])).toBeNull();
    const steps = [row(1, 'rollout:step', { step: 'canary', status: 'started', trafficPercentage: 33 }), row(2, 'rollout:paused', { step: 'canary', reason: 'command' })];
    expect(progressOf(steps)).toEqual({ step: 'canary', trafficPercentage: 33, paused: 'command' });
    steps.push(row(3, 'rollout:resumed', { step: 'canary' }), row(4, 'rollout:step', { step: 'full', status: 'started', trafficPercentage: 100 }));
    expect(progressOf(steps)).toEqual({ step: 'full', trafficPercentage: 100, paused: null });
    steps.push(row(5, 'rollout:paused', { step: 'full', reason: 'inconclusive' }));
    expect(progressOf(steps)?.paused).toBe('inconclusive');
  });
});
