/** A duration as written in config: `250ms`, `10s`, `5m`, `1h`, `2d`. */
export const DURATION_RE = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/**
 * The longest duration shipgate takes, anywhere: a year. Longer ones are refused
 * rather than held: nothing in a deployment waits that long, and past it the
 * arithmetic on dates (a deadline, a keep-warm time) stops being safe
 * (`9999999999d` is beyond what a Date holds).
 */
export const MAX_DURATION = '365d';
export const MAX_DURATION_MS = 365 * UNIT_MS.d;

declare const durationBrand: unique symbol;
/** A validated duration string (branded so raw strings are not mistaken for one). */
export type Duration = string & { readonly [durationBrand]: 'Duration' };

export function isDuration(value: string): value is Duration {
  return DURATION_RE.test(value);
}

/** Milliseconds in a validated duration string. */
export function toMs(d: Duration | string): number {
  const m = DURATION_RE.exec(d);
  if (!m) throw new TypeError(`not a duration: ${d}`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** Parses a user-supplied duration (CLI flag); returns undefined when malformed. */
export function parseDuration(value: string): number | undefined {
  return isDuration(value) ? toMs(value) : undefined;
}

/** Whether a duration is within {@link MAX_DURATION} (a malformed one is reported as malformed, not here). */
export function isWithinMaxDuration(value: string): boolean {
  return !isDuration(value) || toMs(value) <= MAX_DURATION_MS;
}

/** Human form for messages: 125000 -> "2m5s". */
export function humanDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}

export const DURATION_MESSAGE = 'expected a duration like "10s", "5m" or "1h"';
export const MAX_DURATION_MESSAGE = `expected a duration of at most ${MAX_DURATION}`;
