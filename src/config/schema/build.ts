import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { CommandSchema, EnvMapSchema } from './primitives.js';

export const DEFAULT_KEEP_RELEASES = 3;
export const DEFAULT_BUILD_TIMEOUT = '30m' as Duration;

export const BuildSchema = z.strictObject({
  command: CommandSchema.describe('Builds `$SHIPGATE_VERSION`; runs once per version.'),
  artifacts: z
    .array(
      z.string().min(1).refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
        error: 'expected a path inside the project (no leading "/" or "..")',
      }),
    )
    .default([])
    .describe('Files or folders copied to `.shipgate/releases/<version>/`.'),
  keep: z.number({ error: 'expected a whole number' }).int().min(1, { error: 'expected at least 1' }).default(DEFAULT_KEEP_RELEASES).describe('Releases kept; the live one and the rollback target are never pruned.'),
  env: EnvMapSchema.optional().describe('Extra environment for the build.'),
  timeout: duration().default(DEFAULT_BUILD_TIMEOUT).describe('Kill the build after this long.'),
});
export type BuildConfig = z.infer<typeof BuildSchema>;
