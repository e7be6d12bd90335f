/**
 * When to restart an instance that exited. Pure: the supervisor feeds it the
 * attempt number and sleeps on its Clock.
 */

export interface BackoffPolicy {
  /** Delay before the first restart. @default 1000 */
  initialMs: number;
  /** Longest delay. @default 30000 */
  maxMs: number;
  /** Each consecutive failure multiplies the delay by this. @default 2 */
  factor: number;
  /** An instance that ran at least this long before exiting starts over at `initialMs`. @default 60000 */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, factor: 2, resetAfterMs: 60_000 };

/** Delay before restart number `attempt` (1-based): initial, initial*factor, ... capped at maxMs. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(attempt));
  // The exponent is capped so a long crash loop never overflows to Infinity.
  const delay = policy.initialMs * policy.factor ** Math.min(n - 1, 64);
  return Math.min(policy.maxMs, Math.round(delay));
}

/**
 * The attempt number after an exit: consecutive failures count up, but an
 * instance that had been running for `resetAfterMs` starts again from 1, so one
 * crash a day never waits 30 s.
 */
export function nextAttempt(previous: number, ranMs: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  return ranMs >= policy.resetAfterMs ? 1 : previous + 1;
}
