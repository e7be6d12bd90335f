import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { HttpUrlSchema, NameSchema, StatusListSchema } from './primitives.js';

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export const DEFAULT_SMOKE_TIMEOUT = '10s' as Duration;

export const SmokeTestSchema = z.strictObject({
  name: NameSchema.describe('Shown in output and the record.'),
  method: z.enum(HTTP_METHODS).default('GET').describe('HTTP method of the request.'),
  url: HttpUrlSchema.describe('URL to request.'),
  expect: StatusListSchema.default([200]).describe('Passing statuses.'),
  json: z.record(z.string(), z.unknown()).optional().describe('The JSON body must contain these fields with these values.'),
  contains: z.string().optional().describe('The body must contain this text.'),
  headers: z.record(z.string(), z.string({ error: 'expected a string (quote numbers and booleans)' }), { error: 'expected a map of header: value' }).optional().describe('Request headers; values may use `${VAR}`.'),
  body: z.string().optional().describe('Request body, sent as written.'),
  timeout: duration().default(DEFAULT_SMOKE_TIMEOUT).describe('Timeout of one request.'),
  retries: z.number({ error: 'expected a whole number' }).int().min(0).max(20).default(0).describe('Extra attempts, 1 s apart.'),
});
export type SmokeTest = z.infer<typeof SmokeTestSchema>;
