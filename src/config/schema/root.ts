import { z } from 'zod';
import { DEFAULT_ROLLBACK_WINDOW as CONSTANT_WINDOW, DEFAULT_STORE_URL, STORE_URL_RE } from '../constants.js';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { NameSchema } from './primitives.js';
import { ProviderSchema } from './provider.js';
import { BuildSchema } from './build.js';
import { RolloutSchema } from './rollout.js';
import { GatesSchema } from './gates.js';
import { SmokeTestSchema } from './smoke.js';
import { DatabasesSchema } from './databases.js';
import { NotifySchema } from './notify.js';
import { MonitorSchema } from './monitor.js';

export { DEFAULT_STORE_URL } from '../constants.js';
/** Mirrors DEFAULT_STORE_RETRY_MS of the store (the schema does not load store code). */
export const DEFAULT_STORE_RETRY = '30s';
export const DEFAULT_ROLLBACK_WINDOW = CONSTANT_WINDOW as Duration;
export const RESUME_POLICIES = ['rollback', 'resume'] as const;
export const DATABASE_ROLLBACK_MODES = ['down', 'restore'] as const;

export const StoreSchema = z.strictObject({
  url: z
    .string({ error: 'expected "sqlite:PATH" or "postgres://user@host/db"' })
    .regex(STORE_URL_RE, { error: 'expected "sqlite:PATH" or "postgres://user@host/db"' })
    .default(DEFAULT_STORE_URL)
    .describe('`sqlite:PATH` (relative to the config file) or `postgres://user@host/db`.'),
  retry: duration()
    .default(DEFAULT_STORE_RETRY as Duration)
    .describe('How long a write to the store is retried (a database restart, a dropped connection) before the run stops as interrupted, leaving its journal and lock for the next command to settle (exit 6).'),
});

export const RollbackSchema = z.strictObject({
  auto: z.boolean().default(true).describe('Undo completed stages when a stage fails.'),
  window: duration().default(DEFAULT_ROLLBACK_WINDOW).describe('`shipgate rollback` is allowed this long after a deploy (`--force` goes past it).'),
  database: z
    .enum(DATABASE_ROLLBACK_MODES)
    .default('down')
    .describe('Undo of migrations once the new version has served traffic: `down` runs down migrations (and fails loudly where one is missing); `restore` may restore the pre-migration backup where a down is missing, losing the writes made since.'),
});

export const ResumeSchema = z.strictObject({
  policy: z.enum(RESUME_POLICIES).default('rollback').describe('What the next command does with a deployment interrupted by a crash.'),
});

/** Everything an environment block may set (all but `app` and `environments`). */
export const settingsShape = {
  store: StoreSchema.default({ url: DEFAULT_STORE_URL, retry: DEFAULT_STORE_RETRY as Duration }).describe('Where shipgate keeps its state.'),
  provider: ProviderSchema.describe('How a version is deployed.'),
  build: BuildSchema.optional().describe('How a version is built into a release.'),
  rollout: RolloutSchema.optional().describe('How traffic moves to the new version (providers that split traffic: local; fly reads its steps, pause and analysis, and its strategy from provider.strategy).'),
  gates: GatesSchema.describe('Checks that must pass before anything changes.'),
  databases: DatabasesSchema.optional(),
  notify: NotifySchema,
  monitor: MonitorSchema,
  smoke: z.array(SmokeTestSchema).default([]).describe('HTTP checks after rollout; a failure undoes the deploy.'),
  rollback: RollbackSchema.default({ auto: true, window: DEFAULT_ROLLBACK_WINDOW, database: 'down' }).describe('Automatic and manual rollback.'),
  resume: ResumeSchema.default({ policy: 'rollback' }).describe('Recovery of a deployment interrupted by a crash.'),
  services: z.array(NameSchema).optional().describe('Names listed as `services_deployed` in the record. Default: [app].'),
  secrets: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' }))
    .default([])
    .describe('More environment variable names whose values are masked everywhere (names with TOKEN, SECRET, PASSWORD, KEY ... are masked anyway).'),
  timeout: duration().optional().describe('Deadline for a whole deployment; past it the deploy fails and is undone.'),
};

export const ConfigSchema = z.strictObject({
  app: NameSchema.describe('Application name.'),
  ...settingsShape,
  environments: z
    .record(NameSchema, z.record(z.string(), z.unknown(), { error: 'expected a map of settings' }).nullable(), {
      error: 'expected a map of environment name to settings',
    })
    .optional()
    .describe('Per-environment blocks: each may set any top-level key but `app` and `environments`, deep-merged over the base; `false` turns a gate off.'),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
