import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { HttpUrlSchema, StatusListSchema } from './primitives.js';

export const DEFAULT_HEALTH_INTERVAL = '10s' as Duration;
export const DEFAULT_HEALTH_TIMEOUT = '5s' as Duration;
export const DEFAULT_HEALTH_RETRIES = 3;

/** An HTTP health target: `url`, then `fallbackUrl` (seed: `/health`, then `/`). */
export const HealthTargetSchema = z.strictObject({
  url: HttpUrlSchema.describe('URL that must answer healthy.'),
  fallbackUrl: HttpUrlSchema.optional().describe('Tried when `url` fails, e.g. the site root when `/health` does not exist.'),
  interval: duration().default(DEFAULT_HEALTH_INTERVAL).describe('Pause between attempts.'),
  timeout: duration().default(DEFAULT_HEALTH_TIMEOUT).describe('Timeout of one request.'),
  retries: z.number({ error: 'expected a whole number' }).int().min(0).max(100).default(DEFAULT_HEALTH_RETRIES).describe('Extra attempts after the first failure.'),
  expect: StatusListSchema.optional().describe('Healthy statuses. Default: any 2xx or 3xx.'),
});
export type HealthTarget = z.infer<typeof HealthTargetSchema>;
