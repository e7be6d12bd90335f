import { describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../../src/config/schema/databases.js';
import { createCommandMigrations, migrationCommandEnv, secretArgIndex } from '../../../../src/databases/migrations/command.js';
import type { RunRequest, Runner } from '../../../../src/runtime/process.js';

describe('migrationCommandEnv', () => {
  it('PostgreSQL: the URL, libpq variables and the decoded password in PGPASSWORD', () => {
    expect(migrationCommandEnv('postgres', 'postgres://app:p%40ss%3Bword@db.internal:6432/shop', 'dep-7')).toEqual({
      DATABASE_URL: 'postgres://app:p%40ss%3Bword@db.internal:6432/shop',
      SHIPGATE_DEPLOYMENT_ID: 'dep-7',
      PGHOST: 'db.internal',
      PGPORT: '6432',
      PGUSER: 'app',
      PGDATABASE: 'shop',
      PGPASSWORD: 'p@ss;word',
    });
  });

  it('MySQL: MYSQL_PWD; no password, no variable', () => {
    expect(migrationCommandEnv('mysql', 'mysql://root:hunter22@127.0.0.1:3306/app')).toEqual({ DATABASE_URL: 'mysql://root:hunter22@127.0.0.1:3306/app', MYSQL_PWD: 'hunter22' });
    expect(migrationCommandEnv('mysql', 'mysql://root@127.0.0.1/app')).toEqual({ DATABASE_URL: 'mysql://root@127.0.0.1/app' });
  });

  it('SQLite: only the URL', () => {
    expect(migrationCommandEnv('sqlite', 'sqlite:data/app.db')).toEqual({ DATABASE_URL: 'sqlite:data/app.db' });
  });
});

describe('secretArgIndex', () => {
  const url = 'postgres://app:s3cr%2Ft@db/shop';
  it('finds the URL or the password, encoded or decoded, in an argument', () => {
    expect(secretArgIndex(['prisma', 'migrate', 'deploy'], url)).toBe(-1);
    expect(secretArgIndex(['tool', `--url=${url}`], url)).toBe(1);
    expect(secretArgIndex(['tool', '-p', 's3cr/t'], url)).toBe(2);
    expect(secretArgIndex(['tool', '-p', 's3cr%2Ft'], url)).toBe(2);
  });
});

describe('createCommandMigrations', () => {
  /** Records what would run: the request shape is the decision under test here (the real runs are in the integration suite). */
  function recording(): { run: Runner; requests: RunRequest[] } {
    const requests: RunRequest[] = [];
    const run: Runner = async (req) => {
      requests.push(req);
      return { exitCode: 0, signal: null, timedOut: false, cancelled: false, spawnError: null, durationMs: 1 };
    };
    return { run, requests };
  }

  it('runs the configured argv as is, in the root, with the connection in env and the timeout', async () => {
    const db = DatabaseSchema.parse({ type: 'postgres', url: 'postgres://app:pw-123456@db/shop', migrations: { tool: 'command', command: ['npx', 'prisma', 'migrate', 'deploy'], status: 'npx prisma migrate status', timeout: '5m' } });
    if (db.migrations?.tool !== 'command') throw new Error('expected command');
    const { run, requests } = recording();
    const m = createCommandMigrations({ config: db.migrations, type: 'postgres', url: db.url, name: 'main', cwd: '/srv/app', deploymentId: 'dep-9', run });
    await m.up();
    await m.status();
    expect(requests.map((r) => [r.argv, r.cwd, r.timeoutMs])).toEqual([
      [['npx', 'prisma', 'migrate', 'deploy'], '/srv/app', 300_000],
      [['/bin/sh', '-c', 'npx prisma migrate status'], '/srv/app', 300_000],
    ]);
    expect(requests[0]!.env).toEqual({ DATABASE_URL: 'postgres://app:pw-123456@db/shop', SHIPGATE_DEPLOYMENT_ID: 'dep-9', PGHOST: 'db', PGUSER: 'app', PGDATABASE: 'shop', PGPASSWORD: 'pw-123456' });
  });
});
