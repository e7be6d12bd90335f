/**
 * When the keeper starts the next router process after one exited. Pure. The
 * first restart is almost immediate (new connections wait in the listening
 * socket's backlog meanwhile, so the pause is what they wait); a router that
 * keeps dying gets doubling pauses, so a broken build does not spin a core.
 */
export interface RestartPolicy {
  /** Pause before the first restart. */
  firstMs: number;
  /** Longest pause. */
  maxMs: number;
  /** Exits older than this no longer count. */
  windowMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { firstMs: 50, maxMs: 5000, windowMs: 30_000 };

/** The pause before the next start, given the times of recent exits (this one included). */
export function restartDelay(exits: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART): number {
  const recent = exits.filter((at) => now - at <= policy.windowMs).length;
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.max(0, recent - 1));
}

/** The exit times worth keeping (within the window). */
export function recentExits(exits: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART): number[] {
  return exits.filter((at) => now - at <= policy.windowMs);
}
