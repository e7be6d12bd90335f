import { describe, expect, it } from 'vitest';
import { RolloutSchema } from '../../../../src/config/schema/index.js';
import type { FlyMachine } from '../../../../src/providers/fly/client.js';
import { planFly } from '../../../../src/providers/fly/plan.js';
import { FLY_ABORT_REASON, watchStep, type SessionState, type StepSession } from '../../../../src/providers/fly/watch.js';
import type { RolloutCommand, VersionStats } from '../../../../src/rollout/contract.js';
import { FakeClock } from '../../../../src/runtime/clock.js';

const analysis = RolloutSchema.parse({ analysis: { interval: '1s', failureLimit: 2, minRequests: 0 } }).analysis;
const healthy: FlyMachine = { id: 'm1', state: 'started', config: { image: 'img:v2', metadata: { shipgate_version: 'v2' } }, checks: [{ name: 'http', status: 'passing' }] };
const critical: FlyMachine = { ...healthy, checks: [{ name: 'http', status: 'critical' }] };

/** A session fed by the test, with what the watch journaled. */
function session(): StepSession & { send(c: RolloutCommand): void; journal: string[] } {
  const queue: { command: RolloutCommand; by: string; seq: number }[] = [];
  const journal: string[] = [];
  let seq = 0;
  return {
    pollMs: 100,
    send: (command) => queue.push({ command, by: 'alice', seq: ++seq }),
    take: async () => queue.splice(0),
    emit: async (type, data) => {
      journal.push(`${type} ${String(data.command ?? data.reason ?? '')} ${String(data.step)}`.replace(/ +/g, ' '));
    },
    journal,
  };
}

function harness(opts: { machines?: FlyMachine[]; pauseMs: number | 'manual'; stats?: Partial<VersionStats>; onInconclusive?: 'pause' | 'continue' }) {
  const clock = new FakeClock(0);
  const s = session();
  const state: SessionState = { pausedBy: null, jumpToFull: false };
  let ticks = 0;
  const evaluations: string[] = [];
  const metrics = opts.stats
    ? { stats: async (version: string, windowMs: number): Promise<VersionStats> => ({ version, windowMs, requests: 0, errors5xx: 0, connErrors: 0, errorRate: 0, p50: null, p95: null, p99: null, ...opts.stats }) }
    : null;
  const done = watchStep(
    'canary',
    'v2',
    opts.pauseMs,
    {
      clock,
      analysis: { ...analysis, onInconclusive: opts.onInconclusive ?? 'continue', minRequests: opts.stats ? 10 : 0 },
      metrics,
      machines: async () => opts.machines ?? [healthy],
      tick: async () => {
        ticks++;
      },
      onEvaluation: async (e) => {
        evaluations.push(`${clock.now()} ${e.verdict}`);
      },
      session: s,
      state,
    },
    0,
  );
  let settled = false;
  void done.then(() => (settled = true));
  return { clock, s, state, done, evaluations, ticks: () => ticks, settled: () => settled };
}

describe('watchStep: the rollout session on Fly.io', () => {
  it('without commands, a timed step is watched every interval and passes at its end', async () => {
    const h = harness({ pauseMs: 3_000 });
    await h.clock.advance(3_000);
    expect(await h.done).toMatchObject({ failure: null, failures: 0 });
    expect(h.evaluations).toEqual(['1000 pass', '2000 pass', '3000 pass']);
  });

  it('a manual step is held, analysis going on, until promote; promote ends it at once', async () => {
    const h = harness({ pauseMs: 'manual' });
    await h.clock.advance(600_000);
    expect(h.settled()).toBe(false);
    expect(h.evaluations).toHaveLength(600);
    h.s.send('promote');
    await h.clock.advance(100);
    expect(await h.done).toMatchObject({ failure: null });
    expect(h.s.journal).toEqual(['rollout:command promote canary']);
  });

  it('pause holds a timed step past its end until resume; the leases are looked after meanwhile', async () => {
    const h = harness({ pauseMs: 2_000 });
    h.s.send('pause');
    await h.clock.advance(60_000);
    expect(h.settled()).toBe(false);
    expect(h.state.pausedBy).toBe('command');
    expect(h.ticks()).toBeGreaterThanOrEqual(600);
    h.s.send('resume');
    await h.clock.advance(100);
    expect(await h.done).toMatchObject({ failure: null });
    expect(h.s.journal).toEqual(['rollout:command pause canary', 'rollout:paused command canary', 'rollout:command resume canary', 'rollout:resumed canary']);
  });

  it('abort fails the step with a reason that says a person asked', async () => {
    const h = harness({ pauseMs: 'manual' });
    await h.clock.advance(1_500);
    h.s.send('abort');
    await h.clock.advance(100);
    expect((await h.done).failure).toBe(FLY_ABORT_REASON);
  });

  it('promote --full ends the step and asks for the last one', async () => {
    const h = harness({ pauseMs: 'manual' });
    h.s.send('pause');
    h.s.send('promote-full');
    await h.clock.advance(100);
    expect(await h.done).toMatchObject({ failure: null });
    expect(h.state).toEqual({ pausedBy: null, jumpToFull: true });
  });

  it('acts on every command taken at one look, in order: a pause after a promote holds the next step; an abort wins over a promote', async () => {
    const h = harness({ pauseMs: 'manual' });
    h.s.send('promote');
    h.s.send('pause');
    await h.clock.advance(100);
    expect(await h.done).toMatchObject({ failure: null });
    expect(h.state.pausedBy).toBe('command');
    expect(h.s.journal).toEqual(['rollout:command promote canary', 'rollout:command pause canary', 'rollout:paused command canary']);
    const next = harness({ pauseMs: 'manual' });
    next.s.send('promote');
    next.s.send('abort');
    await next.clock.advance(100);
    expect((await next.done).failure).toBe(FLY_ABORT_REASON);
    expect(next.s.journal).toEqual(['rollout:command promote canary', 'rollout:command abort canary']);
  });

  it('critical checks still fail a paused step', async () => {
    const h = harness({ pauseMs: 'manual', machines: [critical] });
    h.s.send('pause');
    await h.clock.advance(2_000);
    expect((await h.done).failure).toMatch(/^analysis failed 2 times \(failureLimit 2\), last in step canary: .*critical checks: http/);
  });

  it('an inconclusive window pauses the step under onInconclusive: pause, until resume', async () => {
    const h = harness({ pauseMs: 1_000, stats: { requests: 1 }, onInconclusive: 'pause' });
    await h.clock.advance(30_000);
    expect(h.settled()).toBe(false);
    expect(h.state.pausedBy).toBe('inconclusive');
    h.s.send('resume');
    await h.clock.advance(1_000);
    expect(await h.done).toMatchObject({ failure: null });
    expect(h.s.journal.slice(0, 2)).toEqual(['rollout:paused inconclusive canary', 'rollout:command resume canary']);
  });
});

describe('planFly: pause: manual', () => {
  it('is held until promoted (the fly provider has a rollout session)', () => {
    const rollout = RolloutSchema.parse({ steps: [{ weight: 50, pause: 'manual' }, { weight: 100, pause: '0s' }] });
    const plan = planFly('canary', rollout, 2, 1, false);
    expect(plan.steps.map((s) => [s.name, s.pauseMs])).toEqual([
      ['canary', 'manual'],
      ['full', 0],
    ]);
    expect(plan.notes).toEqual([]);
  });
});
