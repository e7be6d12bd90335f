/**
 * Timers for any delay a config may hold. A Node timer holds at most 2^31-1 ms
 * (about 24.8 days); a longer delay fires at once with a TimeoutOverflowWarning,
 * so `--timeout 25d` failed a deploy in milliseconds. A longer delay is waited
 * out in pieces. Durations in config are capped (MAX_DURATION_MS in
 * config/duration.ts), so the pieces are few.
 */

/** The longest delay one Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** `setTimeout` for any delay; `unref` lets the process exit while it waits. */
export function setLongTimeout(fn: () => void, ms: number, opts: { unref?: boolean } = {}): LongTimer {
  return chainedTimeout(fn, ms, MAX_TIMER_MS, opts.unref === true);
}

/** {@link setLongTimeout} with the piece size given (tests use a small one). */
export function chainedTimeout(fn: () => void, ms: number, pieceMs: number, unref = false): LongTimer {
  let timer: NodeJS.Timeout;
  const arm = (left: number): void => {
    const piece = Math.min(Math.max(0, left), pieceMs);
    timer = setTimeout(() => (left > pieceMs ? arm(left - pieceMs) : fn()), piece);
    if (unref) timer.unref();
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}

/** `AbortSignal.timeout` for any delay: aborts with a TimeoutError after `ms`. */
export function timeoutSignal(ms: number): AbortSignal {
  if (ms <= MAX_TIMER_MS) return AbortSignal.timeout(ms);
  const ac = new AbortController();
  setLongTimeout(() => ac.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms, { unref: true });
  return ac.signal;
}
