import { describe, expect, it } from 'vitest';
import { migrationCommandEnv, secretArgIndex } from '../../../../src/databases/migrations/command.js';

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
