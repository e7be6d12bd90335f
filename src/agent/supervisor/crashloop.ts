/**
 * Crash-loop detection. Pure: the supervisor keeps the exit times of each
 * instance and asks whether they form a loop.
 */

export interface CrashLoopRule {
  /** This many exits... @default 3 */
  exits: number;
  /** ...within this window is a crash loop. @default 60000 */
  windowMs: number;
}

export const DEFAULT_CRASH_LOOP: CrashLoopRule = { exits: 3, windowMs: 60_000 };

/** The exit times still inside the window at `now`, plus `now` itself: what to keep after an exit. */
export function recordExit(exits: readonly number[], now: number, rule: CrashLoopRule = DEFAULT_CRASH_LOOP): number[] {
  return [...exits.filter((t) => now - t < rule.windowMs), now];
}

/** True when at least `rule.exits` exits fall within the window that ends at `now`. */
export function isCrashLoop(exits: readonly number[], now: number, rule: CrashLoopRule = DEFAULT_CRASH_LOOP): boolean {
  return exits.filter((t) => t <= now && now - t < rule.windowMs).length >= rule.exits;
}

/**
 * True on the exit that makes it a loop (exactly `rule.exits` within the window): reported once
 * per loop, not on every exit after it, even when the instance was briefly ready in between.
 */
export function entersCrashLoop(exits: readonly number[], now: number, rule: CrashLoopRule = DEFAULT_CRASH_LOOP): boolean {
  return exits.filter((t) => t <= now && now - t < rule.windowMs).length === rule.exits;
}
