/** The library's database calls, on a real SQLite database: runMigrations() and createBackup(), and deploy options kept with the deployment. */
import { afterEach, describe, expect, it } from 'vitest';
import { DeploymentManager, UsageError } from '../../src/index.js';
import { makeProject, type Project } from '../support/project.js';

const CONFIG = `app: libdb
provider: { type: command, deploy: ["true"], rollback: ["true"] }
databases:
  main:
    type: sqlite
    url: "sqlite:app.db"
    backup: { verify: restore, storage: { type: local, path: backups } }
    migrations: { tool: builtin, dir: migrations }
`;

let p: Project | null = null;
afterEach(async () => {
  await p?.cleanup();
  p = null;
});

describe('DeploymentManager and databases', () => {
  it('runMigrations() applies pending migrations; createBackup() returns a proven backup; an unknown database is a UsageError', async () => {
    p = await makeProject(CONFIG);
    await p.write('migrations/0001_users.up.sql', "CREATE TABLE users (id integer primary key, name text);\nINSERT INTO users VALUES (1, 'ada');\n");
    const m = new DeploymentManager({ cwd: p.dir });
    try {
      expect(await m.runMigrations()).toEqual([{ database: 'main', applied: ['0001_users'] }]);
      expect(await m.runMigrations()).toEqual([{ database: 'main', applied: [] }]);
      const [backup] = await m.createBackup({ database: 'main' });
      expect(backup).toMatchObject({ kind: 'manual', database: 'main', type: 'sqlite', verify: { method: 'restore', ok: true, tables: 2 } });
      expect(backup!.location).toContain('backups/libdb/production/main/manual/');
      await expect(m.createBackup({ database: 'nope' })).rejects.toThrow(UsageError);
      await expect(m.createBackup({ database: 'nope' })).rejects.toThrow('--db nope: no such database (configured: main)');
    } finally {
      await m.close();
    }
  });

  it('skipMigrations and backupEnabled: false take effect and are recorded', async () => {
    p = await makeProject(CONFIG);
    await p.write('migrations/0001_users.up.sql', 'CREATE TABLE users (id integer primary key);\n');
    const m = new DeploymentManager({ cwd: p.dir, skipMigrations: true, backupEnabled: false });
    try {
      const r = await m.deploy({ version: 'v1.0.0' });
      expect(r.status).toBe('succeeded');
      expect(r.record).toMatchObject({ migrations_applied: 0, migrations_skipped: true, database_backup: null });
    } finally {
      await m.close();
    }
  });
});
