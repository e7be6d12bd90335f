/**
 * A project with one real database (`main`: PostgreSQL, MariaDB or SQLite, each
 * test its own) whose first deploy (v1.0.0) applied `0001_base`: two tables
 * with a few rows, unicode and NULL among them. Shared by the data undo and the
 * data rollback tests.
 */
import { expect } from 'vitest';
import { createMysqlTestDatabase } from './mysql.js';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { makeProject, SCRIPTS_PROVIDER, STATE_SCRIPTS, type Project } from './project.js';

export type Engine = 'postgres' | 'mysql' | 'sqlite';

const TABLES = {
  postgres: 'CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, note text);\nINSERT INTO users VALUES (1, \'ada\', NULL), (2, \'grace\', \'ünïcode\');\nCREATE TABLE log (at text, what text);\nINSERT INTO log VALUES (\'t1\', \'first\');\n',
  mysql: 'CREATE TABLE users (id integer PRIMARY KEY, name varchar(50) NOT NULL, note text);\nINSERT INTO users VALUES (1, \'ada\', NULL), (2, \'grace\', \'ünïcode\');\nCREATE TABLE log (at varchar(20), what varchar(50));\nINSERT INTO log VALUES (\'t1\', \'first\');\n',
  sqlite: 'CREATE TABLE users (id integer PRIMARY KEY, name text NOT NULL, note text);\nINSERT INTO users VALUES (1, \'ada\', NULL), (2, \'grace\', \'ünïcode\');\nCREATE TABLE log (at text, what text);\nINSERT INTO log VALUES (\'t1\', \'first\');\n',
} as const;

/** The second migration: a new table too (a restore must drop what the migration created), a column, a row. */
export const ADD_COLUMN = 'CREATE TABLE extra (id integer);\nALTER TABLE users ADD COLUMN email varchar(100);\nINSERT INTO log VALUES (\'t2\', \'second\');\n';
/** Its down (the same on every engine). */
export const DROP_COLUMN = 'DROP TABLE extra;\nALTER TABLE users DROP COLUMN email;\nDELETE FROM log WHERE at = \'t2\';\n';
export const FAILING = 'INSERT INTO no_such_table VALUES (1);\n';

export interface DataProject {
  p: Project;
  url: string;
  cleanup(): Promise<void>;
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

/** The project, its database, and v1.0.0 deployed with 0001_base applied. */
export async function dataProject(engine: Engine, mode: 'down' | 'restore'): Promise<DataProject> {
  let db: TestDatabase | null = null;
  if (engine === 'postgres') db = await createTestDatabase();
  if (engine === 'mysql') db = await createMysqlTestDatabase();
  const url = db?.url ?? 'sqlite:app.db';
  const p = await makeProject(config(engine, url, mode), STATE_SCRIPTS);
  const cleanup = async (): Promise<void> => void (await Promise.all([p.cleanup(), db?.drop()]));
  try {
    await p.write('migrations/0001_base.up.sql', TABLES[engine]);
    await p.write('migrations/0001_base.down.sql', 'DROP TABLE log;\nDROP TABLE users;\n');
    const first = await p.run(['deploy', 'v1.0.0']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { p, url, cleanup };
}
