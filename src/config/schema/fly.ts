import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { CommandSchema, EnvMapSchema, HttpUrlSchema } from './primitives.js';
import { HealthTargetSchema } from './health.js';
import { STRATEGIES } from './rollout.js';

export const DEFAULT_FLY_API_URL = 'https://api.machines.dev';
/** The environment variable the Machines API token comes from. */
export const FLY_TOKEN_ENV = 'FLY_API_TOKEN';
/** flyctl's default: a third of the machines may be replaced at once. */
export const DEFAULT_FLY_MAX_UNAVAILABLE = 0.33;
export const DEFAULT_FLY_MACHINES = 2;
export const DEFAULT_FLY_PORT = 8080;
export const DEFAULT_FLY_WAIT = '2m' as Duration;
export const DEFAULT_RELEASE_TIMEOUT = '10m' as Duration;
/** The placeholder of `image` that takes the version being deployed. */
export const IMAGE_VERSION_PLACEHOLDER = '{version}';
/** The organization `shipgate preview up` creates preview apps in. */
export const DEFAULT_FLY_ORG = 'personal';
/** A pull request's preview app: `{app}` is `provider.app`, `{pr}` the pull request's number. */
export const DEFAULT_PREVIEW_APP = '{app}-pr-{pr}';

/** Fly.io app names: lowercase letters, digits and dashes. */
const FlyAppSchema = z
  .string({ error: 'expected a Fly.io app name' })
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a Fly.io app name of lowercase letters, digits and "-" (at most 63)' });

const RegionSchema = z.string({ error: 'expected a Fly.io region code like "ams"' }).regex(/^[a-z]{3}$/, { error: 'expected a Fly.io region code like "ams"' });

export const FlyMachinesSchema = z.strictObject({
  min: z.number({ error: 'expected a whole number' }).int().min(1).max(100).default(DEFAULT_FLY_MACHINES).describe('Machines the app runs at least; a deploy creates machines up to this count.'),
  max: z.number({ error: 'expected a whole number' }).int().min(1).max(100).optional().describe('Machines the app runs at most; a deploy destroys machines above it. Default: `min`.'),
});

export const PrometheusMetricsSchema = z.strictObject({
  type: z.literal('prometheus').describe('`prometheus`: instant queries (`/api/v1/query`) against any Prometheus, e.g. Fly.io\'s per-org one.'),
  url: HttpUrlSchema.describe('Base URL of the Prometheus HTTP API (without `/api/v1`), e.g. `https://api.fly.io/prometheus/<org>`.'),
  token: z.string().optional().describe('Bearer token for the queries (e.g. `${FLY_API_TOKEN}`); masked.'),
  errorRate: z.string().min(1, { error: 'expected a PromQL query' }).describe('Query for the new version\'s error rate (0 to 1); `{version}` is replaced by the version.'),
  p95: z.string().min(1).optional().describe('Query for the new version\'s p95 latency in seconds; `{version}` is replaced.'),
  requests: z.string().min(1).optional().describe('Query for the new version\'s requests in the window; without it each window counts as having enough requests.'),
});
export type PrometheusMetricsConfig = z.infer<typeof PrometheusMetricsSchema>;

export const FlyCheckSchema = z.strictObject({
  path: z.string().regex(/^\/[!-~]*$/, { error: 'expected a path starting with "/"' }).default('/health').describe('HTTP path of the machines\' service check.'),
  interval: duration().default('10s' as Duration).describe('Interval of the check.'),
  timeout: duration().default('2s' as Duration).describe('Timeout of the check.'),
});

export const FlyGuestSchema = z.strictObject({
  cpuKind: z.enum(['shared', 'performance']).default('shared').describe('`shared` or `performance`.'),
  cpus: z.number().int().min(1).max(16).default(1).describe('CPUs per machine.'),
  memoryMb: z.number().int().min(256).default(256).describe('Memory per machine in MB.'),
});

export const FlyProviderSchema = z.strictObject({
  type: z.literal('fly').describe('`fly`: Fly.io Machines, driven over the Machines API with `FLY_API_TOKEN`.'),
  app: FlyAppSchema.describe('The Fly.io app.'),
  image: z
    .string()
    .min(1)
    .optional()
    .describe('The image the build pushed; `{version}` is replaced by the version. Default: `registry.fly.io/<app>:{version}` (what `flyctl deploy --build-only --push --image-label <version>` pushes).'),
  regions: z.array(RegionSchema).min(1).describe('Regions new machines are created in, in turn.'),
  machines: FlyMachinesSchema.default({ min: DEFAULT_FLY_MACHINES }).describe('How many machines the app runs (set it per environment).'),
  strategy: z.enum(STRATEGIES).default('rolling').describe('`immediate`, `rolling`, `canary` (rollout.steps as machine counts) or `bluegreen`, as flyctl deploys.'),
  maxUnavailable: z.number({ error: 'expected a number of machines, or a fraction below 1' }).gt(0, { error: 'expected a number of machines, or a fraction below 1, above 0' }).default(DEFAULT_FLY_MAX_UNAVAILABLE).describe('Rolling: machines replaced at once; below 1, a fraction of the machines (flyctl\'s --max-unavailable).'),
  releaseCommand: CommandSchema.optional().describe('Runs in a throwaway machine of the new image before any machine changes; a non-zero exit fails the deploy.'),
  releaseTimeout: duration().default(DEFAULT_RELEASE_TIMEOUT).describe('How long the release command may run.'),
  apiUrl: HttpUrlSchema.default(DEFAULT_FLY_API_URL).describe('The Machines API (overridable for tests and proxies).'),
  port: z.number().int().min(1).max(65535).default(DEFAULT_FLY_PORT).describe('The port the app listens on inside the machine.'),
  check: FlyCheckSchema.default({ path: '/health', interval: '10s' as Duration, timeout: '2s' as Duration }).describe('The service check each machine runs; a machine counts as ready when all its checks pass.'),
  guest: FlyGuestSchema.default({ cpuKind: 'shared', cpus: 1, memoryMb: 256 }).describe('Machine size.'),
  env: EnvMapSchema.optional().describe('Environment of the machines; values may use `${VAR}`.'),
  wait: duration().default(DEFAULT_FLY_WAIT).describe('How long a machine may take to start and pass its checks.'),
  metrics: PrometheusMetricsSchema.optional().describe('Where analysis reads the new version\'s error rate and p95.'),
  health: HealthTargetSchema.optional().describe('Checked after deploy and after rollback.'),
  org: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a Fly.io organization slug like "personal"' }).default(DEFAULT_FLY_ORG).describe('The organization `shipgate preview up` creates preview apps in.'),
  previewApp: z
    .string()
    .regex(/^([a-z0-9-]|\{app\}|\{pr\})+$/, { error: 'expected lowercase letters, digits, "-", {app} and {pr}' })
    .refine((v) => v.includes('{pr}'), { error: 'expected {pr} in the name (one app per pull request)' })
    .default(DEFAULT_PREVIEW_APP)
    .describe('Name of a pull request\'s preview app (`shipgate preview up --pr N`): `{app}` is `app`, `{pr}` the number.'),
});
export type FlyProviderConfig = z.infer<typeof FlyProviderSchema>;
