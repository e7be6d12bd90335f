import { describe, expect, it } from 'vitest';
import { initialReadiness, onProbe, readinessUrl, type ReadinessEvent, type ReadinessState } from '../../../../src/agent/supervisor/readiness.js';
import { FakeClock } from '../../../../src/runtime/clock.js';

const rule = { graceMs: 5000, unhealthyAfter: 3 };

/** Feeds probe results one interval apart on a fake clock; returns the events and the last state. */
async function drive(results: boolean[], opts: { intervalMs?: number; start?: ReadinessState } = {}): Promise<{ events: (ReadinessEvent | null)[]; state: ReadinessState }> {
  const clock = new FakeClock(1_000_000);
  let state = opts.start ?? initialReadiness(clock.now());
  const events: (ReadinessEvent | null)[] = [];
  for (const ok of results) {
    await clock.advance(opts.intervalMs ?? 1000);
    const step = onProbe(state, ok, ok ? 'HTTP 200' : 'HTTP 503', clock.now(), rule);
    state = step.state;
    events.push(step.event);
  }
  return { events, state };
}

describe('readiness state machine', () => {
  it('a starting instance becomes ready on its first good probe', async () => {
    const { events, state } = await drive([false, false, true]);
    expect(events).toEqual([null, null, 'ready']);
    expect(state).toMatchObject({ phase: 'ready', failures: 0, lastReason: null });
  });

  it('not ready within grace: the first failed probe at or past grace says so, with the last reason', async () => {
    const { events, state } = await drive([false, false, false, false, false]);
    expect(events).toEqual([null, null, null, null, 'grace-expired']);
    expect(state.lastReason).toBe('HTTP 503');
  });

  it('a ready instance turns unhealthy after 3 failed probes in a row, and ready again on a good one', async () => {
    const { events } = await drive([true, false, false, true, false, false, false, false, true]);
    expect(events).toEqual(['ready', null, null, null, null, null, 'unhealthy', null, 'recovered']);
  });

  it('grace does not apply once ready: a long outage is unhealthy, never "not ready"', async () => {
    const { events, state } = await drive([true, ...Array<boolean>(20).fill(false)]);
    expect(events.filter((e) => e !== null)).toEqual(['ready', 'unhealthy']);
    expect(state).toMatchObject({ phase: 'unhealthy', failures: 20 });
  });

  it('an adopted ready instance starts in the ready phase', async () => {
    const { events } = await drive([false, false, false], { start: initialReadiness(0, 'ready') });
    expect(events).toEqual([null, null, 'unhealthy']);
  });

  it('probes the instance directly on 127.0.0.1', () => {
    expect(readinessUrl(4321, '/health')).toBe('http://127.0.0.1:4321/health');
  });
});
