/** When the Machines API says "not now": 429 with Retry-After, or a 5xx. Pure. */

/** Attempts of one request, the first included. */
export const MAX_FLY_ATTEMPTS = 6;
export const RETRY_BASE_MS = 250;
export const RETRY_MAX_MS = 10_000;
/** A Retry-After longer than this is not waited for: the request fails, saying so. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Retry-After in ms: seconds, or an HTTP date relative to `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | undefined, now: number): number | null {
  if (header === undefined || header.trim() === '') return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * How long to wait before attempt `attempt + 1` (attempts count from 1), or null
 * to give up: 429 waits what Retry-After says (else backs off), a 5xx backs off
 * exponentially, anything else is final.
 */
export function retryDelay(status: number, retryAfter: string | undefined, attempt: number, now: number): number | null {
  if (attempt >= MAX_FLY_ATTEMPTS) return null;
  const backoff = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
  if (status === 429) {
    const told = retryAfterMs(retryAfter, now);
    if (told !== null && told > MAX_RETRY_AFTER_MS) return null;
    return told ?? backoff;
  }
  return status >= 500 && status <= 599 ? backoff : null;
}
