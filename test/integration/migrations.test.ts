import { execa, type ResultPromise } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlClient } from '../../src/databases/contract.js';
import { openSql } from '../../src/databases/connection.js';
import { advisoryKey, MYSQL_LOCK_NAME } from '../../src/databases/migrations/dialect.js';
import { parseMigrationFiles } from '../../src/databases/migrations/files.js';
import { historyDdl } from '../../src/databases/migrations/history.js';
import { createMigrationRunner, type MigrationRunnerOptions } from '../../src/databases/migrations/runner.js';
import { FakeClock } from '../../src/runtime/clock.js';
import { createMysqlTestDatabase } from '../support/mysql.js';
import { createTestDatabase } from '../support/pg.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

type EngineType = SqlClient['type'];
interface Db {
  url: string;
  name: string;
  drop(): Promise<void>;
}

const ENGINES: { type: EngineType; create: () => Promise<Db> }[] = [
  { type: 'postgres', create: createTestDatabase },
  { type: 'mysql', create: createMysqlTestDatabase },
  {
    type: 'sqlite',
    create: async () => {
      const tmp = await makeTempDir();
      return { url: `sqlite:${join(tmp.path, 'app.db')}`, name: 'app', drop: tmp.cleanup };
    },
  },
];

const TABLE = 'shipgate_migrations';
const sources = (files: Record<string, string>) => Object.entries(files).map(([fileName, text]) => ({ fileName, content: Buffer.from(text) }));
const BASE = {
  '0001_users.up.sql': 'CREATE TABLE users (id INT PRIMARY KEY, name VARCHAR(50));',
  '0001_users.down.sql': 'DROP TABLE users;',
  '0002_seed.up.sql': "INSERT INTO users VALUES (1, 'ada');\nINSERT INTO users VALUES (2, 'bob; the builder');",
  '0002_seed.down.sql': 'DELETE FROM users;',
  '0003_notes.up.sql': '-- a note table\nCREATE TABLE notes (id INT PRIMARY KEY);',
};

describe.each(ENGINES)('builtin migrations on $type', ({ type, create }) => {
  let db: Db;
  const clients: SqlClient[] = [];
  const connect = async (): Promise<SqlClient> => {
    const c = await openSql(type, db.url);
    clients.push(c);
    return c;
  };
  const runner = async (files: Record<string, string>, extra: Partial<MigrationRunnerOptions> = {}) =>
    createMigrationRunner({ client: await connect(), files: parseMigrationFiles('migrations', sources(files)), table: TABLE, clock: new FakeClock('2026-12-03T10:00:00Z'), ...extra });
  const count = async (sql: string): Promise<number> => Number(Object.values((await (await connect()).query(sql))[0]!)[0]);
  const tableExists = async (name: string): Promise<boolean> =>
    (await connect()).query(`SELECT 1 FROM ${name} WHERE 1 = 0`).then(
      () => true,
      () => false,
    );

  beforeEach(async () => {
    db = await create();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await db.drop();
  });

  it('up applies the pending files in order and records them; status tells applied and pending; a second up does nothing', async () => {
    const seen: string[] = [];
    const r = await runner(BASE, { deploymentId: 'dep-1' });
    expect((await r.status()).pending.map((p) => p.name)).toEqual(['0001_users', '0002_seed', '0003_notes']);
    const applied = await r.up({ onApplied: (row) => void seen.push(row.name) });
    expect(applied.map((a) => a.name)).toEqual(['0001_users', '0002_seed', '0003_notes']);
    expect(seen).toEqual(['0001_users', '0002_seed', '0003_notes']);
    expect(await count('SELECT COUNT(*) FROM users')).toBe(2);
    const status = await r.status();
    expect(status.pending).toEqual([]);
    expect(status.drift).toEqual([]);
    expect(status.applied[1]).toEqual({ name: '0002_seed', sha256: parseMigrationFiles('m', sources(BASE))[1]!.sha256, appliedAt: '2026-12-03T10:00:00.000Z', durationMs: 0, deploymentId: 'dep-1' });
    expect(await (await runner(BASE)).up()).toEqual([]);
  });

  it('down reverts the last one by default, then by steps or names, newest first', async () => {
    const r = await runner({ ...BASE, '0003_notes.down.sql': 'DROP TABLE notes;' });
    await r.up();
    expect(await r.down()).toEqual(['0003_notes']);
    expect(await tableExists('notes')).toBe(false);
    await r.up();
    expect(await r.down({ steps: 2 })).toEqual(['0003_notes', '0002_seed']);
    expect(await count('SELECT COUNT(*) FROM users')).toBe(0);
    await r.up();
    expect(await r.down({ names: ['0002_seed', '0003_notes'] })).toEqual(['0003_notes', '0002_seed']);
    expect((await r.status()).applied.map((a) => a.name)).toEqual(['0001_users']);
  });

  it('down refuses before changing anything when a target has no down file, naming it', async () => {
    const r = await runner(BASE);
    await r.up();
    await expect(r.down({ steps: 2 })).rejects.toThrow('cannot revert 0003_notes: it has no down file (0003_notes.down.sql); restore the backup taken before it instead');
    await expect(r.down({ names: ['0009_x'] })).rejects.toThrow('cannot revert 0009_x: it is not applied');
    expect((await r.status()).applied).toHaveLength(3);
  });

  it('validate names each applied migration whose file changed or is gone, and up refuses to run on drift', async () => {
    await (await runner(BASE)).up();
    const edited = { ...BASE, '0001_users.up.sql': 'CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(50));', '0004_more.up.sql': 'CREATE TABLE more (id INT);' };
    delete (edited as Record<string, string>)['0003_notes.up.sql'];
    const r = await runner(edited);
    const problems = await r.validate();
    expect(problems.map((p) => [p.name, p.kind])).toEqual([
      ['0001_users', 'changed'],
      ['0003_notes', 'missing'],
    ]);
    expect(problems[0]!.message).toMatch(/^0001_users\.up\.sql changed after it was applied \(sha256 [0-9a-f]{12} applied, [0-9a-f]{12} now\); undo the edit and put the change in a new migration$/);
    expect(problems[1]!.message).toBe('0003_notes.up.sql was applied (2026-12-03T10:00:00.000Z) but the file is gone; restore it');
    await expect(r.up()).rejects.toThrow(/^refusing to migrate: the history does not match the files:\n {2}0001_users\.up\.sql changed/);
    expect(await tableExists('more')).toBe(false);
  });

  it('a failing migration: the error names it; nothing of it stays where DDL is transactional, the failed statement is named on MySQL', async () => {
    const failing = { ...BASE, '0003_notes.up.sql': 'CREATE TABLE notes (id INT);\nINSERT INTO notes VALUES (1);\nINSERT INTO nope VALUES (1);' };
    const r = await runner(failing);
    const err = (await r.up().then(
      () => new Error('expected up to fail'),
      (e: unknown) => e,
    )) as Error;
    const driverMessage = { postgres: 'relation "nope" does not exist', mysql: `Table '${db.name}.nope' doesn't exist`, sqlite: 'no such table: nope' }[type];
    if (type === 'mysql') {
      expect(err.message).toBe(
        `0003_notes.up.sql statement 3 failed (INSERT INTO nope VALUES (1)): ${driverMessage}; statements 1-2 before it ran and stay applied (MySQL/MariaDB commits DDL at once); the migration is not recorded as applied: repair the database by hand (or restore the backup) before running it again`,
      );
      expect(await count('SELECT COUNT(*) FROM notes')).toBe(1);
    } else {
      expect(err.message).toBe(`0003_notes.up.sql failed: ${driverMessage}; nothing of it was applied (rolled back)`);
      expect(await tableExists('notes')).toBe(false);
    }
    expect((await r.status()).applied.map((a) => a.name)).toEqual(['0001_users', '0002_seed']);
  });

  it('a failing down file: the error names it and the migration stays recorded as applied', async () => {
    const r = await runner({ ...BASE, '0003_notes.down.sql': 'DROP TABLE notes;\nDROP TABLE nope;' });
    await r.up();
    const err = (await r.down().then(
      () => new Error('expected down to fail'),
      (e: unknown) => e,
    )) as Error;
    if (type === 'mysql') expect(err.message).toMatch(/^0003_notes\.down\.sql statement 2 failed \(DROP TABLE nope\): .*; statement 1 before it ran and stays applied \(MySQL\/MariaDB commits DDL at once\); the migration stays recorded as applied: /);
    else expect(err.message).toMatch(/^0003_notes\.down\.sql failed: .*nope.*; nothing of it was applied \(rolled back\)$/);
    expect(await tableExists('notes')).toBe(type !== 'mysql');
    expect((await r.status()).applied.map((a) => a.name)).toEqual(['0001_users', '0002_seed', '0003_notes']);
  });

  it('the lock is released after an error: another runner proceeds at once', async () => {
    const failing = await runner({ ...BASE, '0003_notes.up.sql': 'INSERT INTO nope VALUES (1);' });
    await expect(failing.up()).rejects.toThrow('0003_notes.up.sql');
    // A lock left held would make this wait for the whole timeout and fail.
    const next = await runner(BASE, { lockTimeoutMs: 2000 });
    expect((await next.up()).map((a) => a.name)).toEqual(['0003_notes']);
  });

  it('a runner that cannot get the lock in time says so', async () => {
    const holder = await connect();
    if (type === 'postgres') await holder.query('SELECT pg_advisory_lock($1::bigint)', [advisoryKey(TABLE)]);
    if (type === 'mysql') await holder.query(`SELECT GET_LOCK(${MYSQL_LOCK_NAME}, 1)`, [TABLE]);
    if (type === 'sqlite') await holder.exec(`${historyDdl(type, TABLE)}; BEGIN IMMEDIATE`);
    const r = await runner(BASE, { lockTimeoutMs: 300 });
    await expect(r.up()).rejects.toThrow(/^another migration run held the lock of shipgate_migrations for more than 300ms/);
    expect(await tableExists('users')).toBe(false);
    // status and validate only read: they answer while the lock is held.
    expect((await r.status()).pending).toHaveLength(3);
    expect(await r.validate()).toEqual([]);
  });

  it('status on a fresh database creates nothing', async () => {
    const r = await runner(BASE);
    expect(await r.status()).toEqual({ applied: [], pending: parseMigrationFiles('m', sources(BASE)), drift: [] });
    expect(await tableExists(TABLE)).toBe(false);
  });

  describe('10 runners started together', () => {
    let tmp: TempDir;
    afterEach(() => tmp.cleanup());
    const CONCURRENT = {
      '0001_counter.up.sql': 'CREATE TABLE counter (note VARCHAR(20));',
      '0002_one.up.sql': "INSERT INTO counter VALUES ('0002');",
      '0003_two.up.sql': "INSERT INTO counter VALUES ('0003');\nINSERT INTO counter VALUES ('0003b');",
      '0004_three.up.sql': 'CREATE TABLE other (id INT);',
    };

    it('apply each migration exactly once', async () => {
      tmp = await makeTempDir();
      for (const [name, text] of Object.entries(CONCURRENT)) await writeFile(join(tmp.path, name), text);
      const applied = type === 'sqlite' ? await inChildren(10, { type, url: db.url, dir: tmp.path, table: TABLE }) : await inProcess(10);
      expect(applied.flat().sort()).toEqual(['0001_counter', '0002_one', '0003_two', '0004_three']);
      expect(await count(`SELECT COUNT(*) FROM ${TABLE}`)).toBe(4);
      expect(await count("SELECT COUNT(*) FROM counter WHERE note = '0002'")).toBe(1);
      expect(await count("SELECT COUNT(*) FROM counter WHERE note = '0003'")).toBe(1);
      expect(await count('SELECT COUNT(*) FROM counter')).toBe(3);
      // Ten tsx processes (SQLite) start slowly on a busy 2-core machine: a bound, not a wait.
    }, 120_000);

    /** Ten connections open first, then every `up` starts in the same tick. */
    async function inProcess(n: number): Promise<string[][]> {
      const runners = await Promise.all(Array.from({ length: n }, () => runner(CONCURRENT)));
      return Promise.all(runners.map(async (r) => (await r.up()).map((a) => a.name)));
    }
  });
});

/** Ten processes connect, say "ready", and all get "go" once every one of them is ready. */
async function inChildren(n: number, args: { type: EngineType; url: string; dir: string; table: string }): Promise<string[][]> {
  const script = join(import.meta.dirname, '../support/migrate-child.ts');
  const children = Array.from({ length: n }, () => execa(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], { stdin: 'pipe', lines: true }));
  await Promise.all(children.map(firstLine));
  for (const child of children) child.stdin.write('go\n');
  const results = await Promise.all(children);
  return results.map((r) => JSON.parse(r.stdout.at(-1)!) as string[]);
}

function firstLine(child: ResultPromise): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.catch(reject);
  });
}
