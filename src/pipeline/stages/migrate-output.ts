import { z } from 'zod';
import type { DeploymentRecord } from '../record.js';

/** Per database: what the migrate stage applied (noted after each migration, so an undo after a crash knows). */
export const MigratedDatabaseSchema = z.strictObject({
  tool: z.enum(['builtin', 'command']),
  /** Names applied by this deployment, in order (builtin); for `command`, the command once it began. */
  applied: z.array(z.string()).default([]),
  /** The migrate command began (tool: command): the schema may have changed even if it failed. */
  began: z.boolean().default(false),
  /** Destructive statements let through by --allow-destructive (recorded). */
  allowedDestructive: z.array(z.string()).default([]),
  /** MySQL/MariaDB: the statement that failed half-way, and what ran before it. */
  failedStatement: z.string().optional(),
});
export type MigratedDatabase = z.infer<typeof MigratedDatabaseSchema>;

export const MigrateStageOutputSchema = z.strictObject({
  databases: z.record(z.string(), MigratedDatabaseSchema).default({}),
  /** --skip-migrations (recorded). */
  skipped: z.boolean().default(false),
  /** Undo by restore: where the backup of the state before the restore went, per database (so the restore can be undone too). */
  safetyBackups: z.record(z.string(), z.string()).optional(),
});
export type MigrateStageOutput = z.infer<typeof MigrateStageOutputSchema>;

/** The record's `migrations_applied` (a count, as in the seed) and `migrations` (names per database). */
export function migrateRecordFields(output: Record<string, unknown> | null): Partial<DeploymentRecord> {
  const parsed = MigrateStageOutputSchema.safeParse(output ?? {});
  if (!parsed.success) return {};
  const entries = Object.entries(parsed.data.databases);
  return {
    migrations_applied: entries.reduce((n, [, d]) => n + d.applied.length, 0),
    migrations: entries.map(([database, d]) => ({ database, tool: d.tool, applied: d.applied, ...(d.allowedDestructive.length > 0 ? { allowed_destructive: d.allowedDestructive } : {}) })),
    ...(parsed.data.skipped ? { migrations_skipped: true } : {}),
  };
}
