import { z } from 'zod';
import { type Duration } from '../duration.js';
import { duration } from './duration.js';
import { CommandSchema, HttpUrlSchema, NameSchema } from './primitives.js';
import { HealthTargetSchema } from './health.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const HOURS_RE = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;
export const DATE_RE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
export const DEFAULT_APPROVAL_TIMEOUT = '30m' as Duration;
export const DEFAULT_CHECKS_TIMEOUT = '10m' as Duration;
export const DEFAULT_CHECKS_POLL = '10s' as Duration;
export const DEFAULT_GITHUB_API = 'https://api.github.com';

const applyToRollback = z
  .boolean()
  .default(false)
  .describe('Also evaluate this gate for `shipgate rollback` (gates are skipped for rollbacks by default).');

/** `false` turns a gate off; an environment block can write `false` over the base. */
function gate<T extends z.ZodType>(schema: T, expected = 'a map of settings') {
  return z.union([z.literal(false), schema], { error: `expected ${expected}, or false to turn the gate off` }).optional();
}

export const SemverGateSchema = z.strictObject({
  allowPrerelease: z.boolean().default(false).describe('Allow versions like `v2.0.0-rc.1`.'),
  applyToRollback,
});

export const FreezeSchema = z.strictObject({
  from: z.string().regex(DATE_RE, { error: 'expected a date "YYYY-MM-DD"' }).describe('First frozen day (inclusive).'),
  to: z.string().regex(DATE_RE, { error: 'expected a date "YYYY-MM-DD"' }).describe('Last frozen day (inclusive).'),
  reason: z.string().optional().describe('Shown in the blocked message.'),
});

export const WindowGateSchema = z.strictObject({
  timezone: z.string({ error: 'expected an IANA time zone like "America/Los_Angeles"' }).describe('IANA time zone of `days` and `hours`.'),
  days: z
    .array(z.enum(WEEKDAYS, { error: `expected one of ${WEEKDAYS.join(', ')}` }), { error: 'expected a list of days like [mon, tue]' })
    .min(1, { error: 'expected at least one day' })
    .default([...WEEKDAYS])
    .describe('Allowed weekdays.'),
  hours: z
    .string({ error: 'expected "HH:MM-HH:MM"' })
    .regex(HOURS_RE, { error: 'expected "HH:MM-HH:MM"' })
    .default('00:00-24:00')
    .describe('Allowed local hours, start inclusive, end exclusive.'),
  holidays: z
    .union([z.literal(false), z.string({ error: 'expected a country or region code like "US" or "US-CA"' })])
    .optional()
    .describe('Block public holidays of this country or region (date-holidays codes: `US`, `US-CA`, `GB`).'),
  freeze: z.array(FreezeSchema, { error: 'expected a list of { from, to }' }).default([]).describe('Frozen date ranges (local dates).'),
  applyToRollback,
});
export type WindowGate = z.infer<typeof WindowGateSchema>;

export const GithubChecksSchema = z.strictObject({
  repo: z
    .string({ error: 'expected "owner/name"' })
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected "owner/name"' })
    .describe('Repository as `owner/name`.'),
  required: z.array(z.string().min(1), { error: 'expected a list of check names' }).min(1, { error: 'expected at least one check name' }).describe('Check-run names or status contexts that must have succeeded.'),
  token: z.string().optional().describe('API token; write `${GITHUB_TOKEN}` so it comes from the environment.'),
  apiUrl: HttpUrlSchema.default(DEFAULT_GITHUB_API).describe('API base URL (GitHub Enterprise: `https://host/api/v3`).'),
});

export const CommandCheckSchema = z.strictObject({
  name: NameSchema.describe('Name shown in results.'),
  run: CommandSchema.describe('Passes when it exits 0.'),
  timeout: duration().default('5m' as Duration).describe('Kill the command after this long.'),
});

export const ChecksGateSchema = z.strictObject({
  github: GithubChecksSchema.optional().describe('Required GitHub check runs and commit statuses for the deployed commit.'),
  commands: z.array(CommandCheckSchema).default([]).describe('Commands whose exit status is a check.'),
  timeout: duration().default(DEFAULT_CHECKS_TIMEOUT).describe('How long to wait for pending checks before blocking.'),
  pollInterval: duration().default(DEFAULT_CHECKS_POLL).describe('Pause between looks at pending checks.'),
  applyToRollback,
});

const HEALTH_GATE_SHAPE = 'a list of { url } or a map with targets: [{ url }]';

export const HealthGateSchema = z.union(
  [
    z.array(HealthTargetSchema).describe('The targets, written as a list.'),
    z.strictObject({
      targets: z.array(HealthTargetSchema).min(1, { error: 'expected at least one target' }).describe('URLs that must answer healthy.'),
      applyToRollback,
    }),
  ],
  { error: `expected ${HEALTH_GATE_SHAPE}` },
);

export const ApprovalGateSchema = z.strictObject({
  required: z.number({ error: 'expected a whole number' }).int().min(1, { error: 'expected at least 1' }).default(1).describe('Approvals needed.'),
  approvers: z.array(z.string().min(1), { error: 'expected a list of names' }).min(1, { error: 'expected at least one approver' }).describe('Who may approve.'),
  timeout: duration().default(DEFAULT_APPROVAL_TIMEOUT).describe('Fail with "approval timed out" after this long.'),
  allowSelf: z.boolean().default(false).describe('Let the person who started the deployment approve it.'),
  applyToRollback,
});

/** Fingerprints are the first 16 hex digits of a sha256 (see gates/secrets/findings.ts). */
export const FINGERPRINT_RE = /^[0-9a-f]{16}$/;

/** Each entry needs a path, a fingerprint or both (ensureAllowEntriesNarrow). */
export const SecretsAllowSchema = z
  .strictObject({
    path: z.string({ error: 'expected a glob like "dist/vendor/**"' }).min(1, { error: 'expected a glob like "dist/vendor/**"' }).optional().describe('Glob of paths in the release (`dist/vendor/**`, `**/*.map`) or in the repository (commits).'),
    fingerprint: z
      .string({ error: 'expected 16 hex digits as a blocked message prints them' })
      .regex(FINGERPRINT_RE, { error: 'expected 16 hex digits as a blocked message prints them' })
      .optional()
      .describe('One finding, by the fingerprint a blocked message prints (it names the finding without showing it).'),
    reason: z
      .string({ error: 'expected a reason: why this finding is not a leaked secret' })
      .trim()
      .min(1, { error: 'expected a reason: why this finding is not a leaked secret' })
      .describe('Why this is not a leaked secret (recorded with every finding it lets through).'),
  });

export const SecretsGateSchema = z.strictObject({
  commits: z.boolean().default(false).describe('Also scan what the commits since the live version added (`git log -p LIVE..DEPLOYED`).'),
  allow: z.array(SecretsAllowSchema, { error: 'expected a list of { path, fingerprint, reason }' }).default([]).describe('Findings that are not secrets; an entry matches when every field it sets matches.'),
});

export const GatesSchema = z
  .strictObject({
    semver: gate(SemverGateSchema)
      .default({ allowPrerelease: false, applyToRollback: false })
      .describe('The version must look like `v1.2.3`. On unless set to `false`.'),
    window: gate(WindowGateSchema).describe('Deploy only inside allowed days and hours, outside holidays and freezes.'),
    checks: gate(ChecksGateSchema).describe('Required CI checks must have passed for the deployed commit.'),
    health: gate(HealthGateSchema, HEALTH_GATE_SHAPE).describe('URLs that must answer healthy before deploying (e.g. staging).'),
    approval: gate(ApprovalGateSchema).describe('N approvals from listed approvers (`shipgate approve`).'),
    secrets: gate(SecretsGateSchema).describe('Scan the release (and optionally the commits since the live version) for secrets; runs right after the build. Not applied to rollbacks.'),
  })
  .default({ semver: { allowPrerelease: false, applyToRollback: false } });
export type GatesConfig = z.infer<typeof GatesSchema>;
export type GateName = keyof GatesConfig;
