/**
 * The destructive guard in the migrate stage, on a real PostgreSQL database: during
 * a canary (two versions live) each listed statement kind blocks the deploy as a
 * gate, with the file, statement and rule named and nothing applied; in an
 * immediate deploy the same migrations are applied.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseConfig } from '../../../src/config/schema/databases.js';
import { openSql } from '../../../src/databases/connection.js';
import { GUARD_RULES, type GuardRule } from '../../../src/databases/migrations/guard.js';
import { GateBlocked } from '../../../src/errors.js';
import { createMigrateStage } from '../../../src/pipeline/stages/migrate.js';
import type { StageContext } from '../../../src/pipeline/stage.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { processRunner } from '../../../src/runtime/process.js';
import { createTestDatabase, type TestDatabase } from '../../support/pg.js';

const BASE = 'CREATE SCHEMA billing;\nCREATE TABLE users (id integer, name text, age integer, email text);\nINSERT INTO users VALUES (1, \'ada\', 36, \'a@x\');\nCREATE TABLE old (id integer);\n';

/** One statement per rule, each valid on the base schema in this order. */
const STATEMENTS: Record<GuardRule, string> = {
  'add-unique': 'ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email);',
  'set-not-null': 'ALTER TABLE users ALTER COLUMN email SET NOT NULL;',
  'add-not-null': 'ALTER TABLE old ADD COLUMN code text NOT NULL;',
  'type-change': 'ALTER TABLE users ALTER COLUMN age TYPE bigint;',
  rename: 'ALTER TABLE users RENAME COLUMN name TO full_name;',
  'drop-column': 'ALTER TABLE users DROP COLUMN full_name;',
  truncate: 'TRUNCATE old;',
  'drop-table': 'DROP TABLE old;',
  'drop-schema': 'DROP SCHEMA billing;',
};

let db: TestDatabase | null = null;
let root: string | null = null;
afterEach(async () => {
  await db?.drop();
  if (root) await rm(root, { recursive: true, force: true });
  db = null;
  root = null;
});

async function setup(): Promise<DatabaseConfig> {
  db = await createTestDatabase();
  root = await mkdtemp(join(tmpdir(), 'shipgate-guard-'));
  await mkdir(join(root, 'migrations'));
  await writeFile(join(root, 'migrations', '0001_base.up.sql'), BASE);
  return { type: 'postgres', url: db.url, backup: { enabled: false, verify: 'none', storage: { type: 'local', path: 'b' }, compression: 'none', retention: { keep: 1, maxAge: '1d' } }, migrations: { tool: 'builtin', dir: 'migrations', table: 'shipgate_migrations' } } as DatabaseConfig;
}

/** The parts of a stage context the migrate stage uses, with real effects (database, processes). */
function context(strategy: 'canary' | 'immediate', allowDestructive = false): StageContext {
  const noted: unknown[] = [];
  return {
    stage: 'migrate',
    facts: { id: 'dep_guard', data: { backup: false, skipMigrations: false, allowDestructive } },
    config: { rollout: { strategy }, rollback: { database: 'down' } },
    paths: { root: root! },
    clock: new FakeClock(Date.parse('2026-12-03T12:00:00Z')),
    run: processRunner,
    signal: new AbortController().signal,
    note: async (o: unknown) => void noted.push(o),
    step: <T>(_name: string, fn: () => Promise<T>) => fn(),
  } as unknown as StageContext;
}

async function applied(): Promise<string[]> {
  const sql = await openSql('postgres', db!.url);
  try {
    return (await sql.query<{ name: string }>('SELECT name FROM shipgate_migrations ORDER BY name')).map((r) => r.name);
  } catch {
    return [];
  } finally {
    await sql.close();
  }
}

describe('the migrate stage and the destructive guard', () => {
  for (const [rule, statement] of Object.entries(STATEMENTS) as [GuardRule, string][]) {
    it(`during a canary, ${rule} is blocked as a gate with its pinned text, and nothing is applied`, async () => {
      const databases = { main: await setup() };
      // Mark the base as applied by running it through an immediate stage first.
      await createMigrateStage(databases).run(context('immediate'));
      await writeFile(join(root!, 'migrations', '0002_change.up.sql'), `${statement}\n`);
      const err = await createMigrateStage(databases).run(context('canary')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GateBlocked);
      expect((err as Error).message).toBe(`blocked by gate "destructive-migration": databases.main: 0002_change.up.sql statement 1: ${GUARD_RULES[rule].message} (or deploy with --allow-destructive, which is recorded)`);
      expect(await applied()).toEqual(['0001_base']);
    });
  }

  it('an immediate deploy applies every one of those statements', async () => {
    const databases = { main: await setup() };
    await createMigrateStage(databases).run(context('immediate'));
    await writeFile(join(root!, 'migrations', '0002_all.up.sql'), `${Object.values(STATEMENTS).join('\n')}\n`);
    const out = await createMigrateStage(databases).run(context('immediate'));
    expect(out).toMatchObject({ databases: { main: { applied: ['0002_all'], allowedDestructive: [] } } });
    expect(await applied()).toEqual(['0001_base', '0002_all']);
  });

  it('during a canary, --allow-destructive lets them through and records each finding', async () => {
    const databases = { main: await setup() };
    await createMigrateStage(databases).run(context('immediate'));
    await writeFile(join(root!, 'migrations', '0002_all.up.sql'), `${Object.values(STATEMENTS).join('\n')}\n`);
    const out = (await createMigrateStage(databases).run(context('canary', true))) as { databases: { main: { applied: string[]; allowedDestructive: string[] } } };
    expect(out.databases.main.applied).toEqual(['0002_all']);
    expect(out.databases.main.allowedDestructive).toHaveLength(Object.keys(STATEMENTS).length);
  });
});
