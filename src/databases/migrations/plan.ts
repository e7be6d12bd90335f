import type { AppliedMigration, MigrationFile } from '../contract.js';
import { MigrationError } from './errors.js';
import { compareMigrationNames } from './files.js';

/**
 * What to apply, what to revert, and what drifted: pure decisions over the
 * files and the history rows.
 */

export interface MigrationProblem {
  name: string;
  /** `changed`: the up file's sha256 differs from the applied one; `missing`: the file of an applied migration is gone. */
  kind: 'changed' | 'missing';
  message: string;
}

/** Files not in the history, in order. */
export function pendingOf(files: readonly MigrationFile[], history: readonly AppliedMigration[]): MigrationFile[] {
  const applied = new Set(history.map((h) => h.name));
  return files.filter((f) => !applied.has(f.name));
}

/** Applied migrations whose file changed or is gone, in order. */
export function driftOf(files: readonly MigrationFile[], history: readonly AppliedMigration[]): MigrationProblem[] {
  const byName = new Map(files.map((f) => [f.name, f]));
  return sortHistory(history).flatMap((row): MigrationProblem[] => {
    const file = byName.get(row.name);
    if (!file) return [{ name: row.name, kind: 'missing', message: `${row.name}.up.sql was applied (${row.appliedAt}) but the file is gone; restore it` }];
    if (file.sha256 === row.sha256) return [];
    const message = `${row.name}.up.sql changed after it was applied (sha256 ${row.sha256.slice(0, 12)} applied, ${file.sha256.slice(0, 12)} now); undo the edit and put the change in a new migration`;
    return [{ name: row.name, kind: 'changed', message }];
  });
}

export function sortHistory(history: readonly AppliedMigration[]): AppliedMigration[] {
  return [...history].sort((a, b) => compareMigrationNames(a.name, b.name));
}

export interface DownRequest {
  /** How many of the last applied migrations to revert. @default 1 */
  steps?: number;
  /** Exactly these applied migrations (reverted newest first); wins over `steps`. */
  names?: readonly string[];
}

/**
 * The files to revert, newest first. Refuses up front, before anything is
 * reverted, when one of them is not applied, has no file or has no down file.
 */
export function downTargets(files: readonly MigrationFile[], history: readonly AppliedMigration[], req: DownRequest): MigrationFile[] {
  const newestFirst = sortHistory(history).reverse().map((h) => h.name);
  const names = req.names ? [...req.names].sort(compareMigrationNames).reverse() : newestFirst.slice(0, req.steps ?? 1);
  const byName = new Map(files.map((f) => [f.name, f]));
  return names.map((name) => {
    if (!newestFirst.includes(name)) throw new MigrationError(`cannot revert ${name}: it is not applied`);
    const file = byName.get(name);
    if (!file) throw new MigrationError(`cannot revert ${name}: its file ${name}.up.sql is gone`);
    if (file.down === null) throw new MigrationError(`cannot revert ${name}: it has no down file (${name}.down.sql); restore the backup taken before it instead`);
    return file;
  });
}
