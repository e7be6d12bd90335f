import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/runtime/clock.js';
import { MAX_TIMER_MS, setLongTimeout, timeoutSignal } from '../../../src/runtime/long-timer.js';

/**
 * vitest's fake timers behave like Node's: a delay over 2^31-1 ms fires at once.
 * So these tests show, without waiting days, that long delays are held.
 */

const DAY = 86_400_000;

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('long timers', () => {
  it('the fake timers do overflow like Node (what the helpers work around)', () => {
    const fn = vi.fn();
    setTimeout(fn, 25 * DAY);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('setLongTimeout fires once, after the whole delay, however long', () => {
    for (const ms of [10, MAX_TIMER_MS, MAX_TIMER_MS + 1, 25 * DAY, 365 * DAY]) {
      const fn = vi.fn();
      setLongTimeout(fn, ms);
      vi.advanceTimersByTime(Math.max(0, ms - 1));
      expect(fn, `${ms} ms`).not.toHaveBeenCalled();
      vi.advanceTimersByTime(1);
      expect(fn, `${ms} ms`).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(MAX_TIMER_MS * 2);
      expect(fn, `${ms} ms`).toHaveBeenCalledTimes(1);
    }
  });

  it('clear stops it, also between two pieces of a long delay', () => {
    const fn = vi.fn();
    const t = setLongTimeout(fn, 60 * DAY);
    vi.advanceTimersByTime(30 * DAY);
    t.clear();
    vi.advanceTimersByTime(60 * DAY);
    expect(fn).not.toHaveBeenCalled();
  });

  it('systemClock.sleep(25d) waits 25 days (a deadline of --timeout 25d)', async () => {
    let done = false;
    const slept = systemClock.sleep(25 * DAY).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(24 * DAY);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(DAY);
    await slept;
    expect(done).toBe(true);
  });

  it('timeoutSignal aborts with a TimeoutError after the whole delay, however long', () => {
    // Up to MAX_TIMER_MS it is AbortSignal.timeout itself (whose timer fake timers do not drive).
    for (const ms of [MAX_TIMER_MS + 1, 30 * DAY]) {
      const signal = timeoutSignal(ms);
      vi.advanceTimersByTime(ms - 1);
      expect(signal.aborted, `${ms} ms`).toBe(false);
      vi.advanceTimersByTime(1);
      expect(signal.aborted, `${ms} ms`).toBe(true);
      expect((signal.reason as DOMException).name).toBe('TimeoutError');
    }
  });
});
