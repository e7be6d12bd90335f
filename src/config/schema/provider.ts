import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { CommandSchema, EnvMapSchema } from './primitives.js';
import { HealthTargetSchema } from './health.js';
import { LocalProviderSchema } from './local.js';
import { FlyProviderSchema } from './fly.js';

export const DEFAULT_SCRIPT_TIMEOUT = '15m' as Duration;

export const CommandProviderSchema = z.strictObject({
  type: z.literal('command').describe('`command`: your own deploy and rollback scripts.'),
  deploy: CommandSchema.describe('Deploys `$SHIPGATE_VERSION`.'),
  rollback: CommandSchema.optional().describe('Restores `$SHIPGATE_VERSION` (the version being returned to). Defaults to `deploy`.'),
  health: HealthTargetSchema.optional().describe('Checked after deploy and after rollback.'),
  status: CommandSchema.optional().describe(
    'Prints what is live on the target; `shipgate status` shows its output. Runs with `$SHIPGATE_VERSION` set to the version shipgate last deployed there (empty if none), for at most 30s.',
  ),
  env: EnvMapSchema.optional().describe('Extra environment for the scripts; values may use `${VAR}`.'),
  cwd: z.string().optional().describe('Working directory of the scripts, relative to the config file.'),
  timeout: duration().default(DEFAULT_SCRIPT_TIMEOUT).describe('Kill a script after this long.'),
});
export type CommandProviderConfig = z.infer<typeof CommandProviderSchema>;

export const ProviderSchema = z.discriminatedUnion('type', [CommandProviderSchema, LocalProviderSchema, FlyProviderSchema], {
  error: 'expected a provider with type: command, local or fly',
});
export type ProviderConfig = z.infer<typeof ProviderSchema>;
