import { z } from 'zod';
import { DURATION_MESSAGE, DURATION_RE, humanDuration, isWithinMaxDuration, MAX_DURATION_MESSAGE, toMs, type Duration } from '../duration.js';

/** A duration from `minMs` to `maxMs` (what a consumer such as the agent can hold); the message names both ends. */
export function durationWithin(minMs: number, maxMs: number): z.ZodType<Duration, string> {
  // The top end floored to whole seconds: what it names must itself be within the range.
  const message = `expected a duration from ${humanDuration(minMs)} to ${humanDuration(maxMs - (maxMs % 1000))}`;
  return duration().refine((d) => toMs(d) >= minMs && toMs(d) <= maxMs, { error: message }) as unknown as z.ZodType<Duration, string>;
}

/** The zod type of a duration field (kept apart from duration.ts so reading durations does not load zod). */
export function duration(): z.ZodType<Duration, string> {
  return z
    .string({ error: DURATION_MESSAGE })
    .regex(DURATION_RE, { error: DURATION_MESSAGE })
    .refine(isWithinMaxDuration, { error: MAX_DURATION_MESSAGE, abort: true }) as unknown as z.ZodType<Duration, string>;
}
