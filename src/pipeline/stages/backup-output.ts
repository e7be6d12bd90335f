import { z } from 'zod';
import { ENCRYPTION_KINDS, type BackupOutput } from '../../databases/contract.js';
import { encryptionOf } from '../../databases/encryption.js';
import type { DeploymentRecord } from '../record.js';

/** What the backup stage journals: one proven backup per database. The migrate stage's undo reads it, also after a crash. */
export const BackupOutputSchema = z.strictObject({
  database: z.string(),
  id: z.string(),
  key: z.string(),
  location: z.string(),
  timestamp: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  compression: z.enum(['gzip', 'none']),
  encrypted: z.boolean(),
  encryption: z.enum(ENCRYPTION_KINDS).optional(),
  verify: z.strictObject({ method: z.enum(['restore', 'list', 'none']), ok: z.boolean(), tables: z.number().int(), rows: z.number().int(), ms: z.number(), sha256Only: z.literal(true).optional() }),
}) satisfies z.ZodType<BackupOutput>;

export const BackupStageOutputSchema = z.strictObject({
  backups: z.array(BackupOutputSchema).default([]),
  /** Databases whose backup is off (`backup.enabled: false` or the library's backupEnabled: false). */
  skipped: z.array(z.string()).default([]),
});
export type BackupStageOutput = z.infer<typeof BackupStageOutputSchema>;

function recordOf(b: BackupOutput): Record<string, unknown> {
  return {
    backup_id: b.id,
    database: b.database,
    location: b.location,
    timestamp: b.timestamp,
    size_bytes: b.size,
    sha256: b.sha256,
    compression: b.compression,
    encrypted: b.encrypted,
    encryption: encryptionOf(b),
    verification: { method: b.verify.method, ok: b.verify.ok, tables: b.verify.tables, rows: b.verify.rows, seconds: Math.round(b.verify.ms) / 1000, ...(b.verify.sha256Only ? { sha256_only: true } : {}) },
  };
}

/** The record's `database_backup`: the seed's shape for the (first) database; every database's under `all` when there are several. */
export function backupRecordFields(output: Record<string, unknown> | null): Partial<DeploymentRecord> {
  const parsed = BackupStageOutputSchema.safeParse(output ?? {});
  const backups = parsed.success ? parsed.data.backups : [];
  if (backups.length === 0) return {};
  const first = recordOf(backups[0]!);
  return { database_backup: backups.length === 1 ? first : { ...first, all: backups.map(recordOf) } };
}
