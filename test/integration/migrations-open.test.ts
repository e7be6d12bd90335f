import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../src/config/schema/databases.js';
import { MigrationError, openMigrations, type Migrations } from '../../src/databases/migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

const PASSWORD = 'Sup3r-s3cret-pw';

describe('openMigrations', () => {
  let tmp: TempDir;
  let pg: TestDatabase;
  let opened: Migrations | null;
  /** Trust auth ignores the password, so the URL can carry one the test then hunts for. */
  const urlWithPassword = () => pg.url.replace('postgres@', `postgres:${PASSWORD}@`);

  beforeEach(async () => {
    tmp = await makeTempDir();
    pg = await createTestDatabase();
    opened = null;
  });
  afterEach(async () => {
    await opened?.close();
    await pg.drop();
    await tmp.cleanup();
  });

  it('tool builtin: reads the folder relative to the root and runs the files against the database', async () => {
    await mkdir(join(tmp.path, 'db'));
    await writeFile(join(tmp.path, 'db', '0001_t.up.sql'), 'CREATE TABLE t (id int);');
    const db = DatabaseSchema.parse({ type: 'postgres', url: urlWithPassword(), migrations: { tool: 'builtin', dir: 'db', table: 'history' } });
    const m = (opened = await openMigrations(db, tmp.path, { name: 'main', deploymentId: 'dep-1' }));
    if (m.tool !== 'builtin') throw new Error('expected builtin');
    expect((await m.up()).map((r) => [r.name, r.deploymentId])).toEqual([['0001_t', 'dep-1']]);
    expect((await m.status()).pending).toEqual([]);
  });

  it('tool builtin on SQLite: the file path is relative to the root', async () => {
    await mkdir(join(tmp.path, 'migrations'));
    await writeFile(join(tmp.path, 'migrations', '0001_t.up.sql'), 'CREATE TABLE t (id int);');
    const m = (opened = await openMigrations(DatabaseSchema.parse({ type: 'sqlite', url: 'sqlite:app.db', migrations: { tool: 'builtin' } }), tmp.path));
    if (m.tool !== 'builtin') throw new Error('expected builtin');
    expect((await m.up()).map((r) => r.name)).toEqual(['0001_t']);
  });

  it('a connection failure names the database and never shows the password', async () => {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:1/nope`;
    await mkdir(join(tmp.path, 'migrations'));
    await writeFile(join(tmp.path, 'migrations', '0001_t.up.sql'), 'SELECT 1;');
    const err = (await openMigrations(DatabaseSchema.parse({ type: 'postgres', url, migrations: { tool: 'builtin' } }), tmp.path, { name: 'main' }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(MigrationError);
    expect(err.message).toMatch(/^databases\.main: cannot connect to the database \(.*ECONNREFUSED.*\)$/);
    expect(err.message).not.toContain(PASSWORD);
  });

  it('tool command: the password reaches the command by environment only, never its argv, and its output is masked', async () => {
    // The child reports its own /proc/self/cmdline (what `ps` shows) and what it got in PGPASSWORD.
    const script = "const fs = require('fs'); const cmd = fs.readFileSync('/proc/self/cmdline', 'utf8'); console.log('cmdline-has-pw=' + cmd.includes(process.env.PGPASSWORD)); console.log('pw=' + process.env.PGPASSWORD); console.log('url=' + process.env.DATABASE_URL)";
    const db = DatabaseSchema.parse({ type: 'postgres', url: urlWithPassword(), migrations: { tool: 'command', command: [process.execPath, '-e', script] } });
    const streamed: string[] = [];
    const m = (opened = await openMigrations(db, tmp.path, { name: 'main', onLine: (l) => streamed.push(l) }));
    const out = await m.up();
    if (!('lines' in out)) throw new Error('expected command output');
    // The whole URL is registered as a secret, so it is masked whole.
    expect(out.lines).toEqual(['cmdline-has-pw=false', 'pw=***', 'url=***']);
    expect(streamed).toEqual(out.lines);
    expect(out.argv.join(' ')).not.toContain(PASSWORD);
  });

  it('tool command: a failure names the command and its exit code, with the masked tail of its output', async () => {
    const script = 'console.log("connecting with " + process.env.PGPASSWORD); process.exit(3)';
    const db = DatabaseSchema.parse({ type: 'postgres', url: urlWithPassword(), migrations: { tool: 'command', command: [process.execPath, '-e', script] } });
    const m = (opened = await openMigrations(db, tmp.path, { name: 'main' }));
    await expect(m.up()).rejects.toThrow(`databases.main.migrations.command ${JSON.stringify([process.execPath, '-e', script])} exited with code 3\n  connecting with ***`);
  });

  it('tool command: refuses an argv that carries the URL, before running anything', async () => {
    const marker = join(tmp.path, 'ran');
    const db = DatabaseSchema.parse({ type: 'postgres', url: urlWithPassword(), migrations: { tool: 'command', command: ['touch', marker, urlWithPassword()] } });
    const m = (opened = await openMigrations(db, tmp.path, { name: 'main' }));
    const err = (await m.up().catch((e: unknown) => e)) as Error;
    expect(existsSync(marker)).toBe(false);
    expect(err.message).toBe('databases.main.migrations.command[2] contains the database URL or password, which would show in the process list; the command gets them as DATABASE_URL and PGPASSWORD or MYSQL_PWD in its environment');
    const shell = DatabaseSchema.parse({ type: 'postgres', url: urlWithPassword(), migrations: { tool: 'command', command: `migrate --password ${PASSWORD}` } });
    const s = await openMigrations(shell, tmp.path, { name: 'main' });
    await expect(s.up()).rejects.toThrow(/^databases\.main\.migrations\.command contains the database URL or password/);
  });

  it('tool command: status without a status command is null; down without one is a clear error; with them they run', async () => {
    const db = DatabaseSchema.parse({ type: 'postgres', url: pg.url, migrations: { tool: 'command', command: ['true'] } });
    const m = (opened = await openMigrations(db, tmp.path, { name: 'main' }));
    if (m.tool !== 'command') throw new Error('expected command');
    expect(await m.status()).toBeNull();
    await expect(m.down()).rejects.toThrow('databases.main.migrations: no down command configured; undo restores the backup instead');
    const full = DatabaseSchema.parse({ type: 'postgres', url: pg.url, migrations: { tool: 'command', command: ['true'], status: ['echo', 'all applied'], down: ['echo', 'reverted'] } });
    const f = await openMigrations(full, tmp.path);
    if (f.tool !== 'command') throw new Error('expected command');
    expect((await f.status())?.lines).toEqual(['all applied']);
    expect((await f.down()).lines).toEqual(['reverted']);
  });

  it('builtin on mongodb, or no migrations at all, is a clear error', async () => {
    await expect(openMigrations(DatabaseSchema.parse({ type: 'mongodb', url: 'mongodb://h/db', migrations: { tool: 'builtin' } }), tmp.path, { name: 'docs' })).rejects.toThrow(
      'databases.docs.migrations: tool builtin runs SQL files and needs postgres, mysql or sqlite (got mongodb); use tool: command',
    );
    await expect(openMigrations(DatabaseSchema.parse({ type: 'postgres', url: pg.url }), tmp.path, { name: 'main' })).rejects.toThrow('databases.main: no migrations configured');
  });
});
