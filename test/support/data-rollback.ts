/** Helpers of the `shipgate rollback --type` tests: a project two deploys in, a write after the deploy, the record. */
import { expect } from 'vitest';
import { openSql } from '../../src/databases/connection.js';
import { ADD_COLUMN, dataProject, DROP_COLUMN, type DataProject, type Engine } from './data-project.js';
import { fingerprintDatabase, type DatabasePrint } from './fingerprint.js';
import { json, type CliResult } from './project.js';

export interface DataRollbackRecord {
  status: string;
  kind: string;
  version: string;
  rollback_type: string;
  rollback_of: string;
  stages: { name: string; status: string; undo: string | null }[];
  data_rollback: { database: string; action: string; migrations?: string[]; backup_id?: string; writes_lost_since?: string; why: string; safety_backup: string | null; done: boolean }[];
}

/** The project with v1.0.0 live, its print, then v2.0.0 deployed with 0002_email (a down when `down`), and the print after. */
export async function deployedTwice(engine: Engine, opts: { mode?: 'down' | 'restore'; down?: string | null } = {}): Promise<{ m: DataProject; before: DatabasePrint; after: DatabasePrint }> {
  const m = await dataProject(engine, opts.mode ?? 'down');
  const before = await fingerprintDatabase(engine, m.url, m.p.dir);
  await m.p.write('migrations/0002_email.up.sql', ADD_COLUMN);
  const down = opts.down === undefined ? DROP_COLUMN : opts.down;
  if (down !== null) await m.p.write('migrations/0002_email.down.sql', down);
  const r = await m.p.run(['deploy', 'v2.0.0']);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return { m, before, after: await fingerprintDatabase(engine, m.url, m.p.dir) };
}

/** A write the new version made after it went live: a restore loses it, downs keep it. */
export async function writeAfterDeploy(engine: Engine, m: DataProject): Promise<void> {
  const sql = await openSql(engine, m.url, m.p.dir);
  try {
    await sql.exec("INSERT INTO users (id, name, email) VALUES (3, 'linus', 'l@example.org')");
  } finally {
    await sql.close();
  }
}

export function rollbackRecord(r: CliResult): DataRollbackRecord {
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return json<{ record: DataRollbackRecord }>(r).record;
}


/** Runs the test, then removes its project (and database), also when it fails. */
export async function within(made: { cleanup(): Promise<void> }, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    await made.cleanup();
  }
}
