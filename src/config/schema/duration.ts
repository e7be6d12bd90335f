import { z } from 'zod';
import { DURATION_MESSAGE, DURATION_RE, isWithinMaxDuration, MAX_DURATION_MESSAGE, type Duration } from '../duration.js';

/** The zod type of a duration field (kept apart from duration.ts so reading durations does not load zod). */
export function duration(): z.ZodType<Duration, string> {
  return z
    .string({ error: DURATION_MESSAGE })
    .regex(DURATION_RE, { error: DURATION_MESSAGE })
    .refine(isWithinMaxDuration, { error: MAX_DURATION_MESSAGE, abort: true }) as unknown as z.ZodType<Duration, string>;
}
