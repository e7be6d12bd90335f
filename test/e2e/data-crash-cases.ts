/**
 * Shared by the data crash tests: a project with one database (`main`) whose
 * first deploy applied one migration, and two more pending for the deploy that
 * is killed; what the database holds (per-table fingerprints); whether the
 * migration lock is free; what the dead run left running.
 */
import { expect } from 'vitest';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { openSql } from '../../src/databases/connection.js';
import type { TableFingerprint } from '../../src/databases/contract.js';
import { mysqlFingerprints } from '../../src/databases/mysql/fingerprints.js';
import { postgresFingerprints } from '../../src/databases/postgres/fingerprints.js';
import { sqliteFingerprints } from '../../src/databases/sqlite/engine.js';
import { json, makeProject, type CliResult, type Project } from '../support/project.js';

export type Engine = 'postgres' | 'mysql' | 'sqlite';

/** The stages whose every journal event is a crash boundary. */
export const DATA_STAGES = ['backup', 'migrate'] as const;
const BOUNDARY_TYPES = new Set(['stage:started', 'step:started', 'process:started', 'step:finished', 'stage:noted', 'stage:finished']);

/** The first migration, applied by the first deploy: the data that must survive. */
export const FIRST: Record<string, string> = {
  'migrations/0001_items.up.sql': "CREATE TABLE items (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL);\nINSERT INTO items (id, name) VALUES (1, 'apple'), (2, 'pear');\n",
  'migrations/0001_items.down.sql': 'DROP TABLE items;\n',
};

/** The two migrations the killed deploy applies: a new table, then a change to the old one. */
export const PENDING: Record<string, string> = {
  'migrations/0002_tags.up.sql': "CREATE TABLE tags (id INTEGER PRIMARY KEY, label VARCHAR(40) NOT NULL);\nINSERT INTO tags (id, label) VALUES (1, 'fruit');\n",
  'migrations/0002_tags.down.sql': 'DROP TABLE tags;\n',
  'migrations/0003_price.up.sql': 'ALTER TABLE items ADD COLUMN price INTEGER;\nUPDATE items SET price = 3;\n',
  'migrations/0003_price.down.sql': 'ALTER TABLE items DROP COLUMN price;\n',
};

export function dataConfig(type: Engine, url: string): string {
  return `
app: datacrash
provider: { type: command, deploy: ["sh", "-c", "test -z \\"$FAIL_DEPLOY\\""], rollback: ["true"] }
databases:
  main:
    type: ${type}
    url: "${url}"
    backup: { verify: restore, storage: { type: local, path: backups } }
    migrations: { tool: builtin, dir: migrations }
`;
}

/** A project whose first deploy (v1.0.0) applied 0001, with 0002 and 0003 now pending. */
export async function newDataProject(type: Engine, url: string): Promise<Project> {
  const p = await makeProject(dataConfig(type, url), FIRST);
  // The setup deploy needs no backup: the killed deploy takes its own.
  const first = await p.run(['deploy', 'v1.0.0', '--no-backup']);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  for (const [path, content] of Object.entries(PENDING)) await p.write(path, content);
  return p;
}

/** Per-table fingerprints of the database, the history table included, by the engine's own function. */
export async function fingerprintsOf(type: Engine, url: string, root: string): Promise<TableFingerprint[]> {
  if (type === 'sqlite') {
    const db = new Database(join(root, url.replace(/^sqlite:/, '')), { readonly: true, fileMustExist: true });
    try {
      return sqliteFingerprints(db);
    } finally {
      db.close();
    }
  }
  const sql = await openSql(type, url, root);
  try {
    return type === 'postgres' ? await postgresFingerprints(sql) : await mysqlFingerprints(sql);
  } finally {
    await sql.close();
  }
}

/** Advisory locks anyone holds in this PostgreSQL database (the migration lock is one). */
export async function pgAdvisoryLocks(url: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>("SELECT count(*)::text AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1", [database]);
    return Number(r.rows[0]!.n);
  } finally {
    await client.end();
  }
}

export interface JournalEvent {
  type: string;
  stage: string | null;
  step: string | null;
  data: Record<string, unknown>;
}

export async function eventsOf(p: Project, id: string): Promise<JournalEvent[]> {
  const shown = json<{ events: JournalEvent[] } | { events: JournalEvent[] }[]>(await p.run(['show', id, '--events', '--json']));
  return (Array.isArray(shown) ? shown[0]! : shown).events;
}

/** The crash keys (SHIPGATE_CRASH_AFTER) of every event of the data stages, `#N` on a key's repeats. */
export function boundariesOf(events: readonly JournalEvent[]): string[] {
  const seen = new Map<string, number>();
  const out: string[] = [];
  for (const e of events) {
    if (!BOUNDARY_TYPES.has(e.type) || !(DATA_STAGES as readonly string[]).includes(e.stage ?? '')) continue;
    const key = [e.type, e.stage, e.step].filter(Boolean).join(':');
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    out.push(n === 1 ? key : `${key}#${n}`);
  }
  return out;
}

/** The deployment a crashed `deploy` started: the newest in history. */
export async function newestDeployment(p: Project): Promise<{ deployment_id: string; status: string }> {
  return json<{ deployment_id: string; status: string }[]>(await p.run(['history', '--json']))[0]!;
}

export interface Settled {
  id: string;
  status: string;
  resume: CliResult;
}

/** The next command after the crash: `shipgate resume` (policy rollback, the default). */
export async function resumeAfterCrash(p: Project): Promise<Settled> {
  const r = await p.run(['resume', '--json']);
  const recovered = json<{ recovered: { deployment_id: string; status: string }[] }>(r).recovered;
  expect(recovered, r.stderr).toHaveLength(1);
  return { id: recovered[0]!.deployment_id, status: recovered[0]!.status, resume: r };
}

/** Nothing is interrupted or running any more and the environment lock is free. */
export async function expectSettled(p: Project, context: string): Promise<void> {
  const s = json<{ activity: unknown[]; lock: unknown }[]>(await p.run(['status', '--json']))[0]!;
  expect(s.activity, context).toEqual([]);
  expect(s.lock, context).toBeNull();
}

/** The migration lock is free: `migrate up` takes it at once and applies what is pending. */
export async function expectMigrateUpProceeds(p: Project, pending: string[], context: string): Promise<void> {
  const r = await p.run(['migrate', 'up', '--json'], { timeoutMs: 20_000 });
  expect(r.code, `${context}: ${r.stdout}${r.stderr}`).toBe(0);
  expect(json<{ applied: string[] }[]>(r)[0]!.applied, context).toEqual(pending);
}
