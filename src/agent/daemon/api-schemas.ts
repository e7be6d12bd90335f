import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { NAME_RE } from '../../config/constants.js';
import { ListenSchema, RouterSchema } from '../../config/schema/local.js';
import { MAX_AGENT_TIMER_MS, MAX_SIGNAL_WAIT_MS, MIN_DEADMAN_MS, MIN_PROBE_INTERVAL_MS } from '../contract.js';
import { ROLLOUT_COMMANDS } from '../../rollout/contract.js';

/**
 * Bodies and query parameters of the control API, with the bounds that keep
 * the agent safe: every time is one Node's timers and Date can hold, every
 * count and string is bounded, every key is known. Errors name the field:
 * `spec.argv[0]: expected a non-empty string (got "")`.
 */

/** The longest timer Node holds (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = MAX_AGENT_TIMER_MS;
/** How far from the agent's clock a keep-warm deadline may lie. */
export const MAX_KEEP_WARM_MS = 366 * 24 * 60 * 60_000;
export { MIN_PROBE_INTERVAL_MS } from '../contract.js';
export { MIN_DEADMAN_MS } from '../contract.js';
export const MAX_INSTANCES = 64;
export const MAX_PATH_LENGTH = 4096;
export const MAX_ARGS = 1024;
export const MAX_ENV_ENTRIES = 1024;
export const MAX_VERSIONS = 64;
/** Analysis windows the router keeps (it retains 5 minutes of figures). */
export const MIN_WINDOW_MS = 1000;
export const MAX_WINDOW_MS = 300_000;
export const DEFAULT_WINDOW_MS = 10_000;

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
/** Rollout ids are deployment ids; any readable id of the same alphabet is fine, nothing that could forge a log line. */
const ROLLOUT_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/;
const NO_NUL_RE = /^[^\0]*$/;
// eslint-disable-next-line no-control-regex -- control characters are what a reason must not contain
const PRINTABLE_RE = /^[^\x00-\x1f\x7f]*$/;
const HTTP_PATH_RE = /^\/[!-~]*$/;

export const VersionName = z.string({ error: 'expected a version name' }).regex(VERSION_RE, { error: 'expected a version name: a letter or digit, then letters, digits, ".", "_", "+" or "-" (at most 64)' });
const RolloutId = z.string({ error: 'expected a rollout id' }).regex(ROLLOUT_ID_RE, { error: 'expected a rollout id: a letter or digit, then letters, digits, ".", "_", ":" or "-" (at most 80)' });

/** Whole milliseconds from `min` to `max`. */
function ms(min: number, max = MAX_TIMER_MS) {
  const message = `expected a whole number of milliseconds from ${min} to ${max}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

function count(min: number, max: number) {
  const message = `expected a whole number from ${min} to ${max}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
}

const AbsolutePath = z
  .string({ error: 'expected an absolute path' })
  .max(MAX_PATH_LENGTH, { error: `expected a path of at most ${MAX_PATH_LENGTH} characters` })
  .refine((p) => NO_NUL_RE.test(p) && isAbsolute(p) && normalize(p) === p, { error: 'expected an absolute path without "." or ".." segments, doubled slashes or NUL characters' });

const Arg = z.string({ error: 'expected a string' }).regex(NO_NUL_RE, { error: 'expected a string without NUL characters' });

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,255}$/, { error: 'expected an environment variable name' });
/** Values may be secrets: their issues are reported without the value (see ENV_VALUE_ISSUE). */
const EnvValue = z.string().regex(NO_NUL_RE);
export const ENV_VALUE_ISSUE = 'expected a string without NUL characters (the value is not shown: it may be a secret)';

const StatusCode = z.number().int().min(100).max(599);

export const ConfigureBody = z.strictObject({
  app: z.string({ error: 'expected an app name' }).regex(NAME_RE, { error: 'expected an app name of letters, digits, ".", "_" or "-" (at most 63)' }),
  listen: ListenSchema,
  router: RouterSchema,
});

export const VersionSpecBody = z.strictObject({
  version: VersionName,
  releaseDir: AbsolutePath,
  argv: z
    .array(Arg, { error: 'expected an argv list of strings' })
    .min(1, { error: 'expected at least the program name' })
    .max(MAX_ARGS, { error: `expected at most ${MAX_ARGS} arguments` })
    .refine((a) => a[0] !== '', { error: 'expected a program name, not an empty string' }),
  env: z.record(EnvName, EnvValue, { error: 'expected a map of NAME: value' }).refine((e) => Object.keys(e).length <= MAX_ENV_ENTRIES, { error: `expected at most ${MAX_ENV_ENTRIES} variables` }),
  readiness: z.strictObject({
    path: z.string({ error: 'expected a path starting with "/"' }).max(2048, { error: 'expected a path of at most 2048 characters' }).regex(HTTP_PATH_RE, { error: 'expected a path starting with "/", of visible ASCII characters' }),
    intervalMs: ms(MIN_PROBE_INTERVAL_MS),
    timeoutMs: ms(1),
    graceMs: ms(1),
    expect: z.array(StatusCode, { error: 'expected a list of HTTP status codes (100-599)' }).min(1, { error: 'expected at least one status code' }).max(100, { error: 'expected at most 100 status codes' }).optional(),
  }),
  stopTimeoutMs: ms(1),
});

/** `POST /v1/versions/spec`: how to run a version, re-sent after an agent crash so the live version stays restartable. */
export const SpecBody = z.strictObject({ spec: VersionSpecBody });
export const EnsureBody = z.strictObject({ spec: VersionSpecBody, count: count(0, MAX_INSTANCES) });

const Percent = count(0, 100);

export const WeightsBody = z.strictObject({
  weights: z
    .record(VersionName, Percent, { error: 'expected a map of version: percent' })
    .superRefine((w, ctx) => {
      const entries = Object.values(w);
      // `input` is what "(got …)" shows.
      if (entries.length > MAX_VERSIONS) ctx.addIssue({ code: 'custom', message: `expected at most ${MAX_VERSIONS} versions`, input: entries.length });
      else if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one version (an empty table would answer every request with 503)', input: undefined });
      else if (entries.every((p) => Number.isInteger(p) && p >= 0 && p <= 100)) {
        const sum = entries.reduce((s, p) => s + p, 0);
        if (sum !== 100) ctx.addIssue({ code: 'custom', message: 'expected percents that sum to 100', input: sum });
      }
    }),
  reason: z.string({ error: 'expected a string' }).max(200, { error: 'expected at most 200 characters' }).regex(PRINTABLE_RE, { error: 'expected text without control characters (it goes to the agent log)' }).optional(),
});

export const VersionBody = z.strictObject({ version: VersionName });

/** `untilMs` is checked against the agent's clock too (keepWarmUntil in routes.ts). */
export const KeepWarmBody = z.strictObject({ version: VersionName, untilMs: count(0, Number.MAX_SAFE_INTEGER) });

/** `stable` may equal `candidate`: a redeploy of the live version (a repair), whose dead-man revert leaves the traffic where it is. */
export const RolloutBeginBody = z.strictObject({ id: RolloutId, stable: VersionName.nullable(), candidate: VersionName, deadmanMs: ms(MIN_DEADMAN_MS) });

export const RolloutIdBody = z.strictObject({ id: RolloutId });
/** `POST /v1/rollout/wait`: held until a signal for the rollout's driver arrives, or `timeoutMs`. */
export const RolloutWaitBody = z.strictObject({ id: RolloutId, timeoutMs: count(0, MAX_SIGNAL_WAIT_MS) });
export const CommandBody = z.strictObject({ command: z.enum(ROLLOUT_COMMANDS) });
export const StopBody = z.strictObject({ stopInstances: z.boolean({ error: 'expected true or false' }) });
export const EmptyBody = z.strictObject({});

// Query parameters arrive as strings; each key at most once (control-server.ts).

const WindowMs = z
  .string()
  .regex(/^\d{1,6}$/, { error: `expected a whole number of ms from ${MIN_WINDOW_MS} to ${MAX_WINDOW_MS}` })
  .transform(Number)
  .pipe(z.number().min(MIN_WINDOW_MS, { error: `expected a whole number of ms from ${MIN_WINDOW_MS} to ${MAX_WINDOW_MS}` }).max(MAX_WINDOW_MS, { error: `expected a whole number of ms from ${MIN_WINDOW_MS} to ${MAX_WINDOW_MS}` }));

export const NoQuery = z.strictObject({});
export const InstancesQuery = z.strictObject({ version: VersionName.optional() });
export const StatsQuery = z.strictObject({ version: VersionName, windowMs: WindowMs.default(DEFAULT_WINDOW_MS) });
export const ProbeQuery = z.strictObject({ version: VersionName, viaHeader: z.enum(['0', '1']).optional() });
