import { describe, expect, it } from 'vitest';
import { Cancelled, DeadlineExceeded } from '../../../src/errors.js';
import { abortReason, FakeClock, systemClock } from '../../../src/runtime/clock.js';

const T0 = Date.parse('2026-11-23T17:00:00.000Z');

/** Tracks settlement of a promise without awaiting it. */
function watch(p: Promise<unknown>): { state: () => 'pending' | 'resolved' | 'rejected' } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return { state: () => state };
}

describe('FakeClock', () => {
  it('starts where told (number, ISO string or Date) and only moves on advance', async () => {
    expect(new FakeClock().now()).toBe(0);
    expect(new FakeClock(T0).now()).toBe(T0);
    expect(new FakeClock('2026-11-23T17:00:00Z').now()).toBe(T0);
    expect(new FakeClock(new Date(T0)).now()).toBe(T0);
    const c = new FakeClock(T0);
    await c.advance(1500);
    expect(c.now()).toBe(T0 + 1500);
  });

  it('resolves a sleep only once advance reaches its deadline', async () => {
    const c = new FakeClock(T0);
    const s = watch(c.sleep(100));
    expect(c.pending).toBe(1);
    await c.advance(99);
    expect(s.state()).toBe('pending');
    await c.advance(1);
    expect(s.state()).toBe('resolved');
    expect(c.pending).toBe(0);
  });

  it('wakes sleepers in deadline order, each seeing the time of its own deadline', async () => {
    const c = new FakeClock(T0);
    const woke: [number, number][] = [];
    for (const ms of [300, 100, 200]) void c.sleep(ms).then(() => woke.push([ms, c.now() - T0]));
    await c.advance(1000);
    expect(woke).toEqual([
      [100, 100],
      [200, 200],
      [300, 300],
    ]);
    expect(c.now()).toBe(T0 + 1000);
  });

  it('also wakes sleeps scheduled during the advance when they fall inside it', async () => {
    const c = new FakeClock(T0);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 3; i++) {
        await c.sleep(100);
        ticks.push(c.now() - T0);
      }
    })();
    await c.advance(250);
    expect(ticks).toEqual([100, 200]);
    await c.advance(50);
    await loop;
    expect(ticks).toEqual([100, 200, 300]);
  });

  it('an abort rejects the sleep with the abort reason and forgets the sleeper', async () => {
    const c = new FakeClock(T0);
    const ac = new AbortController();
    const p = c.sleep(10_000, ac.signal);
    expect(c.pending).toBe(1);
    const reason = new Cancelled('cancelled by SIGTERM');
    ac.abort(reason);
    await expect(p).rejects.toBe(reason);
    expect(c.pending).toBe(0);
  });

  it('an abort whose reason is not an Error rejects with Cancelled', async () => {
    const c = new FakeClock(T0);
    const ac = new AbortController();
    const p = c.sleep(10_000, ac.signal);
    ac.abort('SIGINT');
    await expect(p).rejects.toBeInstanceOf(Cancelled);
  });

  it('an already-aborted signal rejects at once without registering a sleeper', async () => {
    const c = new FakeClock(T0);
    const ac = new AbortController();
    ac.abort(new DeadlineExceeded('too late'));
    await expect(c.sleep(5, ac.signal)).rejects.toThrow('too late');
    expect(c.pending).toBe(0);
  });
});

describe('abortReason', () => {
  it('is the reason when it is a shipgate error (Cancelled, DeadlineExceeded), else Cancelled', () => {
    const ac = new AbortController();
    const err = new DeadlineExceeded('deadline');
    ac.abort(err);
    expect(abortReason(ac.signal)).toBe(err);
    for (const reason of [42, new Error('other'), undefined]) {
      const other = new AbortController();
      other.abort(reason);
      expect(abortReason(other.signal)).toBeInstanceOf(Cancelled);
    }
  });
});

describe('systemClock', () => {
  it('rejects at once for an aborted signal, with the abort reason', async () => {
    const ac = new AbortController();
    ac.abort(new Cancelled('stop'));
    await expect(systemClock.sleep(60_000, ac.signal)).rejects.toThrow('stop');
  });

  it('rejects a pending sleep when the signal aborts', async () => {
    const ac = new AbortController();
    const p = systemClock.sleep(60_000, ac.signal);
    ac.abort(new Cancelled('stop now'));
    await expect(p).rejects.toThrow('stop now');
  });
});
