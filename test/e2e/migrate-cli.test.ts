/** `shipgate migrate status|up|down|validate`: texts and exit codes an on-call engineer relies on, pinned. */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { json, makeProject, type CliResult, type Project } from '../support/project.js';

const PROVIDER = 'app: mg\nprovider:\n  type: command\n  deploy: ["true"]\n';
const SQLITE = `${PROVIDER}databases:
  app: { type: sqlite, url: "sqlite:data/app.db", migrations: { tool: builtin } }
  cache: { type: sqlite, url: "sqlite:data/cache.db" }
`;
const FILES: Record<string, string> = {
  'data/.keep': '',
  'migrations/0001_items.up.sql': 'CREATE TABLE items (id integer PRIMARY KEY, name text);\n',
  'migrations/0001_items.down.sql': 'DROP TABLE items;\n',
  'migrations/0002_tags.up.sql': 'CREATE TABLE tags (id integer PRIMARY KEY);\n',
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(config: string, files = FILES): Promise<Project> {
  const p = await makeProject(config, files);
  cleanups.push(() => p.cleanup());
  return p;
}

const expectExit = (r: CliResult, code: number): CliResult => (expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code), r);

describe('shipgate migrate: usage errors', () => {
  it('--db unknown lists the configured databases; a database without migrations says so', async () => {
    const p = await project(SQLITE);
    expect(expectExit(await p.run(['migrate', 'status', '--db', 'nope']), 2).stderr).toBe('--db nope: no such database (configured: app, cache)\n');
    expect(expectExit(await p.run(['migrate', 'up', '--db', 'cache']), 2).stderr).toBe('--db cache: has no migrations section\n');
  });

  it('a config without databases says where to add them', async () => {
    const p = await project(PROVIDER, {});
    expect(expectExit(await p.run(['migrate', 'status']), 2).stderr).toBe(`no databases in ${join(p.dir, 'shipgate.yaml')} (environment "production"): add a databases section\n`);
  });

  it('--steps 0 is refused before anything runs', async () => {
    const p = await project(SQLITE);
    expectExit(await p.run(['migrate', 'up']), 0);
    expect(expectExit(await p.run(['migrate', 'down', '--steps', '0']), 2).stderr).toBe('--steps: expected a whole number from 1 to 10000 (got "0")\n');
    expect(json<{ applied: string[] }[]>(expectExit(await p.run(['migrate', 'status', '--json']), 0))[0]!.applied).toEqual(['0001_items', '0002_tags']);
  });
});

describe('shipgate migrate (SQLite)', () => {
  it('up, status, and down of a migration without a down file names the file and the way out', async () => {
    const p = await project(SQLITE);
    expect(expectExit(await p.run(['migrate', 'up']), 0).stdout).toMatch(/^app: applied 0001_items \(\d+ ms\)\napp: applied 0002_tags \(\d+ ms\)\n$/);
    expect(expectExit(await p.run(['migrate', 'up']), 0).stdout).toBe('app: up to date\n');
    expect(expectExit(await p.run(['migrate', 'status']), 0).stdout).toMatch(/^app \(sqlite\):\nMIGRATION +STATE +APPLIED +BY\n0001_items +applied +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +-\n0002_tags +applied .*\n$/);
    const down = expectExit(await p.run(['migrate', 'down']), 1);
    expect(down.stderr).toBe('error: cannot revert 0002_tags: it has no down file (0002_tags.down.sql); restore the backup taken before it instead\n(run with --verbose for details)\n');
    expect(json<{ applied: string[] }[]>(expectExit(await p.run(['migrate', 'status', '--json']), 0))[0]!.applied).toEqual(['0001_items', '0002_tags']);
  });

  it('validate exits 1 on drift (an applied file edited), naming the file; 0 when clean', async () => {
    const p = await project(SQLITE);
    expectExit(await p.run(['migrate', 'up']), 0);
    expect(expectExit(await p.run(['migrate', 'validate']), 0).stdout).toBe('app: valid: 2 applied, 0 pending, no drift\n');
    await p.write('migrations/0001_items.up.sql', 'CREATE TABLE items (id integer PRIMARY KEY, name text, extra text);\n');
    const r = expectExit(await p.run(['migrate', 'validate']), 1);
    expect(r.stdout).toMatch(/^app: DRIFT: 0001_items\.up\.sql changed after it was applied \(sha256 [0-9a-f]{12} applied, [0-9a-f]{12} now\); undo the edit and put the change in a new migration\n$/);
    const j = json<{ drift: string[] }[]>(expectExit(await p.run(['migrate', 'validate', '--json']), 1));
    expect(j[0]!.drift).toHaveLength(1);
  });
});

describe('shipgate migrate (PostgreSQL)', () => {
  const dbs: TestDatabase[] = [];
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.drop();
  });

  it('up, down --steps 2, and validate on drift', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase();
    dbs.push(db);
    const files = { ...FILES, 'migrations/0002_tags.down.sql': 'DROP TABLE tags;\n' };
    const p = await project(`${PROVIDER}databases:\n  main: { type: postgres, url: "\${DATABASE_URL}", migrations: { tool: builtin } }\n`, files);
    const env = { DATABASE_URL: db.url };
    expect(json(expectExit(await p.run(['migrate', 'up', '--json'], { env }), 0))).toEqual([{ database: 'main', tool: 'builtin', applied: ['0001_items', '0002_tags'] }]);
    expect(expectExit(await p.run(['migrate', 'down', '--steps', '2'], { env }), 0).stdout).toBe('main: reverted 0002_tags, 0001_items\n');
    expect(expectExit(await p.run(['migrate', 'down'], { env }), 0).stdout).toBe('main: nothing to revert\n');
    expectExit(await p.run(['migrate', 'up'], { env }), 0);
    await p.write('migrations/0002_tags.up.sql', 'CREATE TABLE tags (id bigint PRIMARY KEY);\n');
    expect(expectExit(await p.run(['migrate', 'validate'], { env }), 1).stdout).toContain('main: DRIFT: 0002_tags.up.sql changed after it was applied');
  });
});
