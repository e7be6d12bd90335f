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
  const backoff = backoffMs(attempt);
  if (status === 429) {
    const told = retryAfterMs(retryAfter, now);
    if (told !== null && told > MAX_RETRY_AFTER_MS) return null;
    return told ?? backoff;
  }
  return status >= 500 && status <= 599 ? backoff : null;
}

/** Network errors that mean the request never reached a server: safe to send again, whatever the method. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);
/** Methods whose repeat changes nothing more than the first request did. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/**
 * How long to wait before attempt `attempt + 1` after a request got no answer (`error`: the
 * network error's code, or a timeout), or null to give up. A request that never reached a
 * server is sent again whatever its method; one whose answer was lost only when repeating it is
 * harmless: a lost POST may have created a machine or taken a lease, and a second one would do it
 * again, so it fails and the deployment's undo takes over.
 */
export function networkRetryDelay(method: string, error: string, attempt: number): number | null {
  if (attempt >= MAX_FLY_ATTEMPTS) return null;
  if (!NEVER_SENT.has(error) && !IDEMPOTENT.has(method.toUpperCase())) return null;
  return backoffMs(attempt);
}

/** The exponential backoff after attempt `attempt` (from 1): 250 ms doubling, at most 10 s. */
function backoffMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
}
