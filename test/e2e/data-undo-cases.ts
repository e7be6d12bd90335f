import { afterEach, describe, expect, it } from 'vitest';
import { fingerprintDatabase } from '../support/fingerprint.js';
import { createMysqlTestDatabase } from '../support/mysql.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { json, makeProject, SCRIPTS_PROVIDER, STATE_SCRIPTS, type Project } from '../support/project.js';

/**
 * Acceptance: backup -> proof -> migrate -> a failing stage -> undo leaves the
 * database identical to before (per-table checksums), on real PostgreSQL,
 * MariaDB and SQLite, for each undo path: downs when the migrate stage failed,
 * the backup when a down is missing there, downs after traffic, the backup after
 * traffic under rollback.database: restore, and a refusal (stop sign) under
 * rollback.database: down.
 */

export type Engine = 'postgres' | 'mysql' | 'sqlite';

let p: Project | null = null;
let db: TestDatabase | null = null;
afterEach(async () => {
  await p?.cleanup();
  await db?.drop();
  p = null;
  db = null;
});

const TABLES = {
  postgres: 'CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, note text);\nINSERT INTO users VALUES (1, \'ada\', NULL), (2, \'grace\', \'ünïcode\');\nCREATE TABLE log (at text, what text);\nINSERT INTO log VALUES (\'t1\', \'first\');\n',
  mysql: 'CREATE TABLE users (id integer PRIMARY KEY, name varchar(50) NOT NULL, note text);\nINSERT INTO users VALUES (1, \'ada\', NULL), (2, \'grace\', \'ünïcode\');\nCREATE TABLE log (at varchar(20), what varchar(50));\nINSERT INTO log VALUES (\'t1\', \'first\');\n',
  sqlite: 'CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, note text);\nINSERT INTO users VALUES (1, \'ada\', NULL), (2, \'grace\', \'ünïcode\');\nCREATE TABLE log (at text, what text);\nINSERT INTO log VALUES (\'t1\', \'first\');\n',
} as const;

async function database(engine: Engine): Promise<string> {
  if (engine === 'sqlite') return 'sqlite:app.db';
  db = engine === 'postgres' ? await createTestDatabase() : await createMysqlTestDatabase();
  return db.url;
}

function config(engine: Engine, url: string, mode: 'down' | 'restore'): string {
  return `app: datatest
${SCRIPTS_PROVIDER}databases:
  main:
    type: ${engine}
    url: "${url}"
    backup: { verify: restore, storage: { type: local, path: backups } }
    migrations: { tool: builtin, dir: migrations }
rollback: { database: ${mode} }
`;
}

async function project(engine: Engine, mode: 'down' | 'restore'): Promise<{ p: Project; url: string }> {
  const url = await database(engine);
  const q = await makeProject(config(engine, url, mode), STATE_SCRIPTS);
  await q.write('migrations/0001_base.up.sql', TABLES[engine]);
  await q.write('migrations/0001_base.down.sql', 'DROP TABLE log;\nDROP TABLE users;\n');
  const first = await q.run(['deploy', 'v1.0.0']);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  return { p: q, url };
}

// A new table too: a restore must drop what the migration created (pg_restore --clean alone left it).
const ADD_COLUMN = 'CREATE TABLE extra (id integer);\nALTER TABLE users ADD COLUMN email varchar(100);\nINSERT INTO log VALUES (\'t2\', \'second\');\n';
const DROP_COLUMN = { postgres: 'DROP TABLE extra;\nALTER TABLE users DROP COLUMN email;\nDELETE FROM log WHERE at = \'t2\';\n', mysql: 'DROP TABLE extra;\nALTER TABLE users DROP COLUMN email;\nDELETE FROM log WHERE at = \'t2\';\n', sqlite: 'DROP TABLE extra;\nALTER TABLE users DROP COLUMN email;\nDELETE FROM log WHERE at = \'t2\';\n' };
const FAILING = 'INSERT INTO no_such_table VALUES (1);\n';

interface Path {
  name: string;
  mode: 'down' | 'restore';
  /** 0002 has a down file. */
  down: boolean;
  /** 0003 fails (the migrate stage fails) instead of the deploy script. */
  migrateFails: boolean;
  exit: number;
  status: string;
  undo: RegExp;
}

const PATHS: Path[] = [
  { name: 'migrate fails, every migration has a down: downs', mode: 'down', down: true, migrateFails: true, exit: 1, status: 'rolled_back', undo: /every migration this deployment applied has a down/ },
  { name: 'migrate fails, a down is missing: the proven backup (no write lost)', mode: 'down', down: false, migrateFails: true, exit: 1, status: 'rolled_back', undo: /restoring the backup bk_\S+ taken at \S+ \(the new version never served, so no write is lost\)/ },
  { name: 'deploy fails after migrate, downs: downs (writes kept)', mode: 'down', down: true, migrateFails: false, exit: 1, status: 'rolled_back', undo: /running them newest first \(0002_email\); the writes made since are kept/ },
  { name: 'deploy fails after migrate, a down missing, rollback.database restore: the backup, said to lose writes', mode: 'restore', down: false, migrateFails: false, exit: 1, status: 'rolled_back', undo: /rollback\.database is restore: restoring the backup bk_\S+ taken at \S+, which LOSES every write made since/ },
];

/** The suite for one engine (one file per engine, so the three run in parallel). */
export function describeDataUndo(engine: Engine): void {
  describe(`${engine}: undo leaves the database identical to before`, () => {
    it.each(PATHS)('$name', async (path) => {
      const made = await project(engine, path.mode);
      p = made.p;
      const before = await fingerprintDatabase(engine, made.url, p.dir);
      await p.write('migrations/0002_email.up.sql', ADD_COLUMN);
      if (path.down) await p.write('migrations/0002_email.down.sql', DROP_COLUMN[engine]);
      if (path.migrateFails) await p.write('migrations/0003_broken.up.sql', FAILING);
      const r = await p.run(['deploy', 'v2.0.0'], { env: path.migrateFails ? {} : { FAIL_DEPLOY: '1' } });
      expect(r.code, r.stdout + r.stderr).toBe(path.exit);
      const id = json<{ deployment_id: string }[]>(await p.run(['history', '--json']))[0]!.deployment_id;
      const record = json<{ status: string; database_backup: { backup_id: string; verification: { method: string; ok: boolean } } | null }>(await p.run(['show', id, '--json']));
      expect(record.status).toBe(path.status);
      expect(record.database_backup?.verification).toMatchObject({ method: 'restore', ok: true });
      const events = await p.run(['show', id, '--events']);
      expect(events.stdout).toMatch(path.undo);
      expect(await fingerprintDatabase(engine, made.url, p.dir)).toEqual(before);
    });

    it('deploy fails after migrate, a down missing, rollback.database down: undo refuses to lose writes (exit 4, stop sign), the schema stays migrated', async () => {
      const made = await project(engine, 'down');
      p = made.p;
      const before = await fingerprintDatabase(engine, made.url, p.dir);
      await p.write('migrations/0002_email.up.sql', ADD_COLUMN);
      const r = await p.run(['deploy', 'v2.0.0'], { env: { FAIL_DEPLOY: '1' } });
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.stdout + r.stderr).toMatch(/0002_email has no down; restoring the backup bk_\S+ \(taken at \S+\) would lose the writes made since, and rollback\.database is down; restore it on purpose with `shipgate backup restore bk_\S+ --db main`, or write the down/);
      expect(await fingerprintDatabase(engine, made.url, p.dir)).not.toEqual(before);
      expect((await p.run(['deploy', 'v2.0.1'])).code).toBe(7);
    });
  });
}
