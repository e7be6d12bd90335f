import { describe, expect, it } from 'vitest';
import { DEFAULT_CRASH_LOOP, entersCrashLoop, isCrashLoop, recordExit } from '../../../../src/agent/supervisor/crashloop.js';
import { FakeClock } from '../../../../src/runtime/clock.js';

describe('crash-loop detection', () => {
  it('is 3 exits within 60s by default', () => {
    expect(DEFAULT_CRASH_LOOP).toEqual({ exits: 3, windowMs: 60_000 });
    expect(isCrashLoop([0, 10_000], 10_000)).toBe(false);
    expect(isCrashLoop([0, 10_000, 20_000], 20_000)).toBe(true);
    expect(isCrashLoop([0, 30_000, 60_000], 60_000)).toBe(false);
  });

  it('recordExit keeps only the exits inside the window', () => {
    expect(recordExit([0, 10_000, 50_000], 70_000)).toEqual([50_000, 70_000]);
    expect(recordExit([], 5)).toEqual([5]);
  });

  it('on a fake clock: fast exits loop, the same exits spread over minutes do not', async () => {
    const clock = new FakeClock(0);
    const run = async (gapMs: number): Promise<boolean[]> => {
      let exits: number[] = [];
      const verdicts: boolean[] = [];
      for (let i = 0; i < 4; i++) {
        await clock.advance(gapMs);
        exits = recordExit(exits, clock.now());
        verdicts.push(isCrashLoop(exits, clock.now()));
      }
      return verdicts;
    };
    expect(await run(5_000)).toEqual([false, false, true, true]);
    expect(await run(31_000)).toEqual([false, false, false, false]);
  });

  it('follows a custom rule', () => {
    const rule = { exits: 2, windowMs: 1000 };
    expect(isCrashLoop(recordExit([100], 900, rule), 900, rule)).toBe(true);
    expect(isCrashLoop(recordExit([100], 1100, rule), 1100, rule)).toBe(false);
  });

  it('says a loop begins once: on the exit that makes it one, not on the exits after it, until they leave the window', () => {
    let exits: number[] = [];
    const verdicts: boolean[] = [];
    for (const at of [0, 1000, 3000, 7000, 15000, 200_000, 201_000, 203_000]) {
      exits = recordExit(exits, at);
      verdicts.push(entersCrashLoop(exits, at));
    }
    expect(verdicts).toEqual([false, false, true, false, false, false, false, true]);
  });
});
