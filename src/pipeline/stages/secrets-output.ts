import { z } from 'zod';
import type { DeploymentRecord } from '../record.js';

const FindingSchema = z.strictObject({
  file: z.string(),
  line: z.number(),
  rule: z.string(),
  fingerprint: z.string(),
  commit: z.string().optional(),
  secret: z.string().optional(),
});

/** What the secrets stage scanned and found (never the secrets: places, rules and fingerprints). */
export const SecretsStageOutputSchema = z.strictObject({
  result: z.string(),
  scanned: z.array(z.string()).default([]),
  skipped: z.array(z.string()).default([]),
  findings: z.array(FindingSchema).default([]),
  /** Findings an allowlist entry let through, with its reason. */
  allowed: z.array(FindingSchema.extend({ reason: z.string() })).default([]),
});
export type SecretsStageOutput = z.infer<typeof SecretsStageOutputSchema>;

/** The record's `secrets_scan`. */
export function secretsRecordFields(output: Record<string, unknown> | null): Partial<DeploymentRecord> {
  const parsed = SecretsStageOutputSchema.safeParse(output ?? {});
  return parsed.success ? { secrets_scan: parsed.data } : {};
}
