import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import type { DatabaseConfig } from '../config/schema/databases.js';
import type { MigrationFile } from '../databases/contract.js';
import { sqlitePath } from '../databases/connection.js';
import { readMigrationFiles } from '../databases/migrations/files.js';
import { destructiveStatements, type Finding } from '../databases/migrations/guard.js';
import { errorMessage } from '../errors.js';
import type { DataOptions } from './stage.js';
import { runsTwoVersions } from './stages/migrate.js';

/**
 * What the migrate stage's destructive-statement guard would say, per database,
 * for `deploy --dry-run`. Reads the migration files and the history table (a
 * SELECT, when the table exists), nothing else: no lock, no history table made,
 * no SQLite file created.
 */

export const GUARD_VERDICTS = ['pass', 'block', 'allowed', 'skipped', 'drift', 'unknown'] as const;
export type GuardVerdictKind = (typeof GUARD_VERDICTS)[number];

export interface GuardVerdict {
  database: string;
  verdict: GuardVerdictKind;
  /** One line: why. */
  reason: string;
  /** Pending migration names, oldest first. */
  pending: string[];
  /** The destructive statements of the pending files (contract-marked files excluded). */
  findings: Pick<Finding, 'rule' | 'statement' | 'text' | 'message'>[];
}

export interface GuardInput {
  database: string;
  pending: readonly MigrationFile[];
  /** Applied migrations whose file differs or is gone, one message each. */
  drift: readonly string[];
  runsTwoVersions: boolean;
  data: Pick<DataOptions, 'allowDestructive' | 'skipMigrations'>;
}

/** Pure: the verdict of one database's pending migrations, as the migrate stage would reach it. */
export function guardVerdict(i: GuardInput): GuardVerdict {
  const pending = i.pending.map((f) => f.name);
  const findings = i.pending.filter((f) => !f.contract).flatMap((f) => destructiveStatements(f.up, `${f.name}.up.sql`));
  const v = (verdict: GuardVerdictKind, reason: string): GuardVerdict => ({ database: i.database, verdict, reason, pending, findings });
  if (i.data.skipMigrations) return v('skipped', 'migrations skipped (--skip-migrations)');
  if (i.drift.length > 0) return v('drift', `applied migrations differ from their files, the migrate stage would fail: ${i.drift.join('; ')}`);
  if (pending.length === 0) return v('pass', 'no pending migration');
  const what = `${pending.length} pending (${pending.join(', ')})`;
  if (findings.length === 0) return v('pass', `${what}: no destructive statement`);
  if (!i.runsTwoVersions) return v('pass', `${what}: destructive statements pass, one version runs at a time (immediate rollout)`);
  if (i.data.allowDestructive) return v('allowed', `${what}: destructive statements let through by --allow-destructive (recorded)`);
  return v('block', `${what}: the deploy would be blocked (exit 3) before anything changes; split the change (expand/contract) or deploy with --allow-destructive`);
}

/** The verdict of each database with builtin migrations (a migrate command is the team's own tool: not read). */
export async function readGuardVerdicts(loaded: LoadedConfig, data: Pick<DataOptions, 'allowDestructive' | 'skipMigrations'>): Promise<GuardVerdict[]> {
  const out: GuardVerdict[] = [];
  for (const [database, db] of Object.entries(loaded.config.databases ?? {})) {
    const migrations = db.migrations;
    if (migrations?.tool !== 'builtin') continue;
    const common = { database, runsTwoVersions: runsTwoVersions(loaded.config.rollout), data };
    try {
      out.push(guardVerdict({ ...common, ...(await pendingOf(loaded.root, database, { ...db, migrations })) }));
    } catch (err) {
      out.push({ database, verdict: 'unknown', reason: `cannot read the migrations: ${errorMessage(err)}`, pending: [], findings: [] });
    }
  }
  return out;
}

async function pendingOf(root: string, name: string, db: DatabaseConfig & { migrations: { dir: string } }): Promise<{ pending: MigrationFile[]; drift: string[] }> {
  // Opening a SQLite file that is not there would create it: no file, no history.
  if (db.type === 'sqlite' && !existsSync(sqlitePath(db.url, root))) {
    return { pending: await readMigrationFiles(resolve(root, db.migrations.dir)), drift: [] };
  }
  const { openMigrations } = await import('../databases/migrations/index.js');
  const m = await openMigrations(db, root, { name });
  try {
    if (m.tool !== 'builtin') return { pending: [], drift: [] };
    const status = await m.status();
    return { pending: status.pending, drift: status.drift.map((d) => d.message) };
  } finally {
    await m.close();
  }
}
