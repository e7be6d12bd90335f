/** `shipgate backup create|list|verify|restore`: what an on-call engineer reads, pinned. */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { json, makeProject, type CliResult, type Project } from '../support/project.js';

const PROVIDER = 'app: bk\nprovider:\n  type: command\n  deploy: ["true"]\n';
const SQLITE = `${PROVIDER}databases:
  app: { type: sqlite, url: "sqlite:data/app.db" }
  cache: { type: sqlite, url: "sqlite:data/cache.db" }
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(config: string): Promise<Project> {
  const p = await makeProject(config, {});
  cleanups.push(() => p.cleanup());
  return p;
}

function sqlite(p: Project, text: string): unknown[] {
  const db = new Database(join(p.dir, 'data/app.db'));
  try {
    return text.trim().toUpperCase().startsWith('SELECT') ? db.prepare(text).all() : (db.exec(text), []);
  } finally {
    db.close();
  }
}

async function sqliteProject(): Promise<Project> {
  const p = await project(SQLITE);
  await p.write('data/.keep', '');
  sqlite(p, "CREATE TABLE t (id integer PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'before');");
  return p;
}

const expectExit = (r: CliResult, code: number): CliResult => (expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(code), r);

async function backupFiles(p: Project): Promise<string[]> {
  const all = await readdir(join(p.dir, '.shipgate/backups'), { recursive: true }).catch(() => [] as string[]);
  return all.filter((f) => f.endsWith('.manifest.json')).sort();
}

async function createOne(p: Project, db = 'app'): Promise<string> {
  const made = json<{ id: string }[]>(expectExit(await p.run(['backup', 'create', '--db', db, '--json']), 0));
  return made[0]!.id;
}

describe('shipgate backup: usage errors', () => {
  it('--db unknown lists the configured databases', async () => {
    const p = await sqliteProject();
    expect(expectExit(await p.run(['backup', 'list', '--db', 'nope']), 2).stderr).toBe('--db nope: no such database (configured: app, cache)\n');
  });

  it('a config without databases says where to add them', async () => {
    const p = await project(PROVIDER);
    const r = expectExit(await p.run(['backup', 'create']), 2);
    expect(r.stderr).toBe(`no databases in ${join(p.dir, 'shipgate.yaml')} (environment "production"): add a databases section\n`);
    expect(json(expectExit(await p.run(['backup', 'list', '--json']), 2))).toMatchObject({ status: 'error', error_type: 'UsageError', exit_code: 2 });
  });

  it('verify of an unknown id names the newest ids; with two databases and no --db, asks which', async () => {
    const p = await sqliteProject();
    const id = await createOne(p);
    expect(expectExit(await p.run(['backup', 'verify', 'bk_nope', '--db', 'app']), 2).stderr).toBe(`no backup bk_nope in ${join(p.dir, '.shipgate/backups/bk/production/app')} (newest: ${id})\n`);
    expect(expectExit(await p.run(['backup', 'verify', id]), 2).stderr).toBe('--db: which database? (configured: app, cache)\n');
  });

  it('--target-url env:UNSET names the variable and changes nothing', async () => {
    const p = await sqliteProject();
    const id = await createOne(p);
    const before = await backupFiles(p);
    const r = expectExit(await p.run(['backup', 'restore', id, '--db', 'app', '--target-url', 'env:SG_UNSET_TARGET'], { env: { SG_UNSET_TARGET: undefined } }), 2);
    expect(r.stderr).toBe('--target-url env:SG_UNSET_TARGET: environment variable SG_UNSET_TARGET is not set\n');
    expect(await backupFiles(p)).toEqual(before);
  });
});

describe('shipgate backup create: progress', () => {
  it('says on stderr that the archive is stored, and how it will be proven, before the proof; the result stays on stdout (text and --json)', async () => {
    const p = await sqliteProject();
    const r = expectExit(await p.run(['backup', 'create', '--db', 'app']), 0);
    const id = /backup (bk_\S+) at/.exec(r.stdout)?.[1];
    const location = join(p.dir, `.shipgate/backups/bk/production/app/manual/${id}.sqlite.gz`);
    expect(r.stderr).toMatch(new RegExp(`^app: archive stored at ${location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ B, sha256 [0-9a-f]{12}…\\) in \\d+\\.\\ds; proving it by a restore into a scratch database…\n$`));
    expect(r.stdout).toMatch(/^app: backup bk_\S+ at .*; proven by restore: 1 tables, 1 rows equal/);
    const j = await p.run(['backup', 'create', '--db', 'app', '--json']);
    expect(json<{ id: string }[]>(expectExit(j, 0))).toHaveLength(1);
    expect(j.stderr).toMatch(/^app: archive stored at .*; proving it by a restore into a scratch database…\n$/);
  });
});

describe('shipgate backup restore (SQLite)', () => {
  it('--dry-run lists the steps and changes nothing: no safety backup, the data as it was', async () => {
    const p = await sqliteProject();
    const id = await createOne(p);
    sqlite(p, "UPDATE t SET v = 'after'");
    const before = await backupFiles(p);
    const r = expectExit(await p.run(['backup', 'restore', id, '--db', 'app', '--dry-run']), 0);
    expect(r.stdout).toMatch(new RegExp(`^would check backup ${id} \\(.*/manual/${id}\\.sqlite\\.gz, sha256 [0-9a-f]{12}…\\)\nwould take a safety backup of app as it is now\nwould restore it over app itself\n$`));
    expect(await backupFiles(p)).toEqual(before);
    expect(sqlite(p, 'SELECT v FROM t')).toEqual([{ v: 'after' }]);
  });

  it('over the database: a safety backup first, then the restore, and the command that undoes it', async () => {
    const p = await sqliteProject();
    const id = await createOne(p);
    sqlite(p, "UPDATE t SET v = 'after'");
    const r = expectExit(await p.run(['backup', 'restore', id, '--db', 'app']), 0);
    const safety = /safety backup (bk_\S+) at/.exec(r.stdout)?.[1];
    expect(r.stdout).toBe(`app: safety backup ${safety} at ${join(p.dir, `.shipgate/backups/bk/production/app/safety/${safety}.sqlite.gz`)}\napp: restored backup ${id} over app itself (undo with: shipgate backup restore ${safety} --db app)\n`);
    expect(sqlite(p, 'SELECT v FROM t')).toEqual([{ v: 'before' }]);
    expectExit(await p.run(['backup', 'restore', safety!, '--db', 'app']), 0);
    expect(sqlite(p, 'SELECT v FROM t')).toEqual([{ v: 'after' }]);
  });
});

describe('shipgate backup list: what cannot be restored is said so', () => {
  it('a manifest without its archive, and an archive without its manifest, are listed as not restorable; restoring the first says why', async () => {
    const p = await sqliteProject();
    const [gone, orphan, kept] = [await createOne(p), await createOne(p), await createOne(p)];
    const dir = join(p.dir, '.shipgate/backups/bk/production/app/manual');
    await rm(join(dir, `${gone}.sqlite.gz`));
    await rm(join(dir, `${orphan}.sqlite.gz.manifest.json`));
    const r = expectExit(await p.run(['backup', 'list', '--db', 'app']), 0);
    expect(r.stdout).toContain(`  not restorable: ${gone} has a manifest but its archive ${join(dir, `${gone}.sqlite.gz`)} is missing\n`);
    expect(r.stdout).toContain(`  not restorable: archive without a manifest (a backup under way, or an interrupted prune): ${join(dir, `${orphan}.sqlite.gz`)}\n`);
    expect(r.stdout).toMatch(new RegExp(`${gone} +manual .* NO ARCHIVE`));
    const rows = json<{ id: string | null; kind: string; restorable: boolean }[]>(expectExit(await p.run(['backup', 'list', '--db', 'app', '--json']), 0));
    expect(rows.map((x) => [x.id, x.kind, x.restorable])).toEqual([[kept, 'manual', true], [gone, 'manual', false], [null, 'orphan', false]]);
    const restore = expectExit(await p.run(['backup', 'restore', gone, '--db', 'app']), 2);
    expect(restore.stderr).toBe(`backup ${gone} cannot be restored: its archive ${join(dir, `${gone}.sqlite.gz`)} is missing (only its manifest is left)\n`);
  });
});

describe('shipgate backup restore (PostgreSQL)', () => {
  const dbs: TestDatabase[] = [];
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.drop();
  });

  async function pgQuery(url: string, text: string): Promise<unknown[]> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query(text)).rows;
    } finally {
      await c.end();
    }
  }

  it('over the database takes a safety backup; --target-url env:NAME restores elsewhere and leaves the source alone', { timeout: 60_000 }, async () => {
    const [src, other] = [await createTestDatabase(), await createTestDatabase()];
    dbs.push(src, other);
    await pgQuery(src.url, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'before')");
    const p = await project(`${PROVIDER}databases:\n  main: { type: postgres, url: "\${DATABASE_URL}", backup: { verify: list } }\n`);
    const env = { DATABASE_URL: src.url, OTHER_URL: other.url };
    const id = json<{ id: string }[]>(expectExit(await p.run(['backup', 'create', '--json'], { env }), 0))[0]!.id;
    await pgQuery(src.url, "UPDATE t SET v = 'after'");
    const into = json(expectExit(await p.run(['backup', 'restore', id, '--target-url', 'env:OTHER_URL', '--json'], { env }), 0));
    expect(into).toMatchObject({ database: 'main', id, restored: true, safety_backup: null });
    expect(await pgQuery(other.url, 'SELECT v FROM t')).toEqual([{ v: 'before' }]);
    expect(await pgQuery(src.url, 'SELECT v FROM t')).toEqual([{ v: 'after' }]);
    const over = expectExit(await p.run(['backup', 'restore', id], { env }), 0);
    expect(over.stdout).toMatch(new RegExp(`^main: safety backup (bk_\\S+) at .*/safety/\\1\\.pgdump\nmain: restored backup ${id} over main itself \\(undo with: shipgate backup restore \\1 --db main\\)\n$`));
    expect(await pgQuery(src.url, 'SELECT v FROM t')).toEqual([{ v: 'before' }]);
  });
});
