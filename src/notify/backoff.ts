/** Pure: when a failed delivery is tried again. */

export const DEFAULT_FIRST_RETRY_MS = 2_000;
export const DEFAULT_MAX_RETRY_MS = 5 * 60_000;
/** Attempts before a delivery is marked failed (`shipgate notify retry` starts it over). */
export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * Delay before attempt `attempts + 1`: exponential from `firstMs`, capped, with full jitter
 * in its upper half (`random` in [0, 1)); a receiver's Retry-After wins when longer.
 * Null once `attempts` reached the limit or retrying cannot help.
 */
export function retryDelay(attempts: number, random: number, opts: { retryAfterMs?: number; permanent?: boolean; firstMs?: number; maxMs?: number; maxAttempts?: number } = {}): number | null {
  if (opts.permanent || attempts >= (opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS)) return null;
  const base = Math.min((opts.firstMs ?? DEFAULT_FIRST_RETRY_MS) * 2 ** Math.max(0, attempts - 1), opts.maxMs ?? DEFAULT_MAX_RETRY_MS);
  const jittered = Math.round(base / 2 + (base / 2) * random);
  return Math.max(jittered, opts.retryAfterMs ?? 0);
}

/** A Retry-After header (seconds or an HTTP date) in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
