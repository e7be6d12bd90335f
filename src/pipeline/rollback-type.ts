import { z } from 'zod';
import { ENCRYPTION_KINDS } from '../databases/contract.js';
import { UsageError } from '../errors.js';

/**
 * The four kinds of `shipgate rollback` (the runbooks' ROLLBACK_TYPE): `app`
 * redeploys the previous release; `migration` runs the downs of what the
 * deployment being rolled back applied; `database` restores a backup; `auto`
 * does the app and then the data undo the undo rules choose. What a rollback
 * will do to the data is decided before it starts and kept with the deployment
 * (its meta), so a recovery after a crash does exactly the same.
 */

export const ROLLBACK_TYPES = ['app', 'migration', 'database', 'auto'] as const;
export type RollbackType = (typeof ROLLBACK_TYPES)[number];
export const DEFAULT_ROLLBACK_TYPE: RollbackType = 'app';

/** A backup as a restore needs it (the manifest's record, without fingerprints). */
export const BackupRefSchema = z.strictObject({
  id: z.string(),
  key: z.string(),
  location: z.string(),
  timestamp: z.string(),
  size: z.number().int().nonnegative(),
  sha256: z.string(),
  compression: z.enum(['gzip', 'none']),
  encrypted: z.boolean(),
  /** Absent on backups from before age recipients: then `encrypted` means a passphrase. */
  encryption: z.enum(ENCRYPTION_KINDS).optional(),
});
export type BackupRef = z.infer<typeof BackupRefSchema>;

/** One database's data undo, decided before the rollback starts. */
export const DataUndoActionSchema = z.discriminatedUnion('action', [
  z.strictObject({ database: z.string(), action: z.literal('down'), names: z.array(z.string()), why: z.string() }),
  z.strictObject({ database: z.string(), action: z.literal('restore'), backup: BackupRefSchema, why: z.string() }),
]);
export type DataUndoAction = z.infer<typeof DataUndoActionSchema>;

/** Kept in the deployment's meta (`rollback`): what this rollback is and will do to the data. */
export const RollbackFactsSchema = z.strictObject({
  type: z.enum(ROLLBACK_TYPES),
  /** The deployment live (app-wise) when the rollback started. */
  live: z.string().nullable(),
  /** The deployment whose data is rolled back (null for `app`). */
  subject: z.string().nullable(),
  actions: z.array(DataUndoActionSchema).default([]),
});
export type RollbackFacts = z.infer<typeof RollbackFactsSchema>;

/** The rollback facts kept in a deployment's meta; null for a deploy or an older app rollback. */
export function rollbackFactsOf(meta: Record<string, unknown>): RollbackFacts | null {
  const parsed = RollbackFactsSchema.safeParse(meta.rollback);
  return parsed.success ? parsed.data : null;
}

/** A rollback that leaves the app as it is: only data (its row is not what runs, see app-live.ts). */
export function isDataOnly(type: RollbackType | null | undefined): boolean {
  return type === 'migration' || type === 'database';
}

/** What `shipgate rollback` was asked, before anything is looked up. */
export interface RollbackFlagsInput {
  type?: string;
  to?: string;
  db?: string;
  steps?: string;
  backup?: string;
}

export interface RollbackChoice {
  type: RollbackType;
  database: string | null;
  steps: number | null;
  backup: string | null;
}

const MAX_STEPS = 10_000;

/** Pure: the flags checked against each other; every mistake named with the way out. */
export function checkRollbackFlags(f: RollbackFlagsInput): RollbackChoice {
  const type = (f.type ?? DEFAULT_ROLLBACK_TYPE) as RollbackType;
  if (!ROLLBACK_TYPES.includes(type)) throw new UsageError(`--type: expected one of ${ROLLBACK_TYPES.join(', ')} (got ${JSON.stringify(f.type)})`);
  const only = (flag: string, allowed: readonly RollbackType[]): void => {
    if (!allowed.includes(type)) throw new UsageError(`${flag} goes with --type ${allowed.join(' or --type ')}, not --type ${type}`);
  };
  if (f.to !== undefined) only('--to', ['app', 'auto']);
  if (f.db !== undefined) only('--db', ['migration', 'database', 'auto']);
  if (f.steps !== undefined) only('--steps', ['migration']);
  if (f.backup !== undefined) only('--backup', ['database']);
  return { type, database: f.db ?? null, steps: f.steps === undefined ? null : stepsOf(f.steps), backup: f.backup ?? null };
}

function stepsOf(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_STEPS) throw new UsageError(`--steps: expected a whole number from 1 to ${MAX_STEPS} (got ${JSON.stringify(value)})`);
  return n;
}
