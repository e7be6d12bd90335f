import { describe, expect, it } from 'vitest';
import { Cancelled } from '../../../../src/errors.js';
import { createMemoryTraffic } from '../../../../src/providers/memory/index.js';
import { InstancesFailed } from '../../../../src/rollout/contract.js';
import { FakeClock } from '../../../../src/runtime/clock.js';

const T0 = Date.parse('2026-11-23T17:00:00.000Z');

function setup() {
  const clock = new FakeClock(T0);
  const traffic = createMemoryTraffic({ clock, versions: { v1: 2 }, weights: { v1: 100 } });
  return { clock, traffic };
}

describe('createMemoryTraffic', () => {
  it('runs instances per version and sets weights atomically', async () => {
    const { traffic } = setup();
    const started = await traffic.ensureInstances('v2', 3);
    expect(started.map((i) => [i.id, i.version, i.state])).toEqual([
      ['v2-1', 'v2', 'ready'],
      ['v2-2', 'v2', 'ready'],
      ['v2-3', 'v2', 'ready'],
    ]);
    await traffic.ensureInstances('v2', 1);
    expect((await traffic.instances('v2')).map((i) => i.id)).toEqual(['v2-1']);
    await traffic.setWeights({ v1: 90, v2: 10 });
    expect(await traffic.currentWeights()).toEqual({ v1: 90, v2: 10 });
    // Like the agent, it refuses to stop a version that still has traffic.
    await expect(traffic.stopVersion('v1')).rejects.toThrow('v1 still has 90% of the traffic; move it away first');
    await traffic.setWeights({ v2: 100 });
    await traffic.stopVersion('v1');
    expect(traffic.snapshot().counts).toEqual({ v2: 1 });
  });

  it('rejects weights that do not sum to 100', async () => {
    const { traffic } = setup();
    await expect(traffic.setWeights({ v1: 90, v2: 20 })).rejects.toThrow('weights must be non-negative and sum to 100 (got {"v1":90,"v2":20})');
    await expect(traffic.setWeights({ v1: 110, v2: -10 })).rejects.toThrow('non-negative');
  });

  it('logs every call with its clock time and its arguments (without the abort signal)', async () => {
    const { clock, traffic } = setup();
    await traffic.ensureInstances('v2', 1, new AbortController().signal);
    await clock.advance(1500);
    await traffic.probe('v2', { viaHeader: true });
    expect(traffic.calls).toEqual([
      { at: T0, method: 'ensureInstances', args: ['v2', 1] },
      { at: T0 + 1500, method: 'probe', args: ['v2', { viaHeader: true }] },
    ]);
  });

  it('derives healthy stats from the weights unless scripted; scripts may be functions of the clock', async () => {
    const { clock, traffic } = setup();
    await traffic.ensureInstances('v2', 1);
    await traffic.setWeights({ v1: 80, v2: 20 });
    expect(await traffic.stats('v2', 10_000)).toEqual({ version: 'v2', windowMs: 10_000, requests: 200, errors5xx: 0, connErrors: 0, errorRate: 0, p50: 20, p95: 50, p99: 80 });
    traffic.setStats('v2', (now, windowMs) => (now - T0 >= 60_000 ? { requests: windowMs / 100, errors5xx: 10, connErrors: 5, p95: 900 } : {}));
    expect((await traffic.stats('v2', 10_000)).errorRate).toBe(0);
    await clock.advance(60_000);
    expect(await traffic.stats('v2', 10_000)).toMatchObject({ requests: 100, errors5xx: 10, connErrors: 5, errorRate: 0.15, p95: 900 });
    traffic.setStats('v2', { requests: 0 });
    expect(await traffic.stats('v2', 10_000)).toMatchObject({ requests: 0, errorRate: 0, p50: null, p95: null, p99: null });
  });

  it('probes every instance; answers are scriptable per instance and time', async () => {
    const { traffic } = setup();
    expect(await traffic.probe('v1')).toEqual([
      { instanceId: 'v1-1', version: 'v1', ok: true, status: 200, ms: 5, reason: 'HTTP 200' },
      { instanceId: 'v1-2', version: 'v1', ok: true, status: 200, ms: 5, reason: 'HTTP 200' },
    ]);
    traffic.setProbes('v1', (i) => (i.id === 'v1-2' ? { ok: false, status: null, ms: null, reason: 'connection refused' } : { ok: true }));
    expect((await traffic.probe('v1')).map((p) => [p.ok, p.status, p.reason])).toEqual([
      [true, 200, 'HTTP 200'],
      [false, null, 'connection refused'],
    ]);
  });

  it('fails ensureInstances as scripted, a given number of times', async () => {
    const { traffic } = setup();
    traffic.failEnsure('v2', 'crashed at start', 1);
    const err = await traffic.ensureInstances('v2', 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstancesFailed);
    expect(err).toMatchObject({ version: 'v2', message: 'crashed at start' });
    expect(await traffic.ensureInstances('v2', 2)).toHaveLength(2);
  });

  it('delays calls by clock time, cancellable through the signal', async () => {
    const { clock, traffic } = setup();
    traffic.setDelay('ensureInstances', 30_000);
    let done = false;
    const p = traffic.ensureInstances('v2', 1).then(() => (done = true));
    await clock.advance(29_999);
    expect(done).toBe(false);
    await clock.advance(1);
    await p;
    expect(done).toBe(true);
    const ctrl = new AbortController();
    const cancelled = traffic.ensureInstances('v3', 1, ctrl.signal);
    ctrl.abort(new Cancelled('stop'));
    await expect(cancelled).rejects.toThrow('stop');
    expect(traffic.snapshot().counts).toEqual({ v1: 2, v2: 1 });
  });

  it('keeps a version warm until its deadline, then stops it', async () => {
    const { clock, traffic } = setup();
    await traffic.ensureInstances('v2', 2);
    await traffic.setWeights({ v2: 100 });
    await traffic.keepWarm('v1', T0 + 60_000);
    await clock.advance(59_999);
    expect(traffic.snapshot().counts).toEqual({ v1: 2, v2: 2 });
    await clock.advance(1);
    expect(traffic.snapshot()).toMatchObject({ counts: { v2: 2 }, warmUntil: {} });
  });

  it('queues commands for the next heartbeat', async () => {
    const { traffic } = setup();
    await traffic.beginRollout({ id: 'r', stable: 'v1', candidate: 'v2', deadmanMs: 30_000 });
    traffic.sendCommand('pause');
    traffic.sendCommand('promote');
    expect(await traffic.heartbeat('r')).toEqual({ abortedByDeadman: false, commands: ['pause', 'promote'] });
    expect(await traffic.heartbeat('r')).toEqual({ abortedByDeadman: false, commands: [] });
    await expect(traffic.heartbeat('other')).rejects.toThrow('no active rollout other');
  });

  it('dead-man switch: no heartbeat for deadmanMs puts traffic back on stable and aborts the rollout', async () => {
    const { clock, traffic } = setup();
    await traffic.ensureInstances('v2', 2);
    await traffic.beginRollout({ id: 'r', stable: 'v1', candidate: 'v2', deadmanMs: 30_000 });
    await traffic.setWeights({ v1: 50, v2: 50 });
    await clock.advance(29_999);
    expect(await traffic.heartbeat('r')).toEqual({ abortedByDeadman: false, commands: [] });
    await clock.advance(30_000);
    expect(traffic.snapshot()).toMatchObject({ weights: { v1: 100 }, rollout: { state: 'aborted_by_deadman', abortedAt: T0 + 59_999 } });
    expect(await traffic.heartbeat('r')).toEqual({ abortedByDeadman: true, commands: [] });
    await traffic.endRollout('r');
    expect(traffic.snapshot().rollout?.state).toBe('ended');
    await expect(traffic.heartbeat('r')).rejects.toThrow('no active rollout r');
  });

  it('an ended rollout has no dead-man switch', async () => {
    const { clock, traffic } = setup();
    await traffic.beginRollout({ id: 'r', stable: 'v1', candidate: 'v2', deadmanMs: 1000 });
    await traffic.setWeights({ v2: 100 });
    await traffic.endRollout('r');
    await clock.advance(60_000);
    expect(traffic.snapshot().weights).toEqual({ v2: 100 });
  });

  it('callsOf leaves out heartbeats unless asked for them', async () => {
    const { traffic } = setup();
    await traffic.beginRollout({ id: 'r', stable: 'v1', candidate: 'v2', deadmanMs: 1000 });
    await traffic.heartbeat('r');
    expect(traffic.callsOf().map((c) => c.method)).toEqual(['beginRollout']);
    expect(traffic.callsOf('heartbeat')).toHaveLength(1);
  });
});
