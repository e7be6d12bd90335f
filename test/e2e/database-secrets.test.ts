/**
 * Acceptance: secrets in database URLs never appear in output, journal, records, the state
 * store, backup manifests, logs, or the process list, for every command that touches a database.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createMysqlTestDatabase, MYSQL_ADMIN_URL } from '../support/mysql.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/pg.js';
import { watchProcesses } from '../support/process-watch.js';
import { json, makeProject, SCRIPTS_PROVIDER, STATE_SCRIPTS, type CliResult, type Project } from '../support/project.js';

/** `@`, `/` and `:` make the URL form differ from the raw one, so both are checked. */
const password = (): string => `Pw@s3/cr:${randomBytes(4).toString('hex')}`;

const MIGRATIONS: Record<string, string> = {
  'migrations/0001_items.up.sql': 'CREATE TABLE items (id int PRIMARY KEY, name varchar(50));\nINSERT INTO items VALUES (1, \'one\');\n',
  'migrations/0001_items.down.sql': 'DROP TABLE items;\n',
};
const SECOND: Record<string, string> = {
  'migrations/0002_tags.up.sql': 'CREATE TABLE tags (id int PRIMARY KEY);\n',
  'migrations/0002_tags.down.sql': 'DROP TABLE tags;\n',
};

const config = (type: string): string => `app: secretapp
${SCRIPTS_PROVIDER}databases:
  main:
    type: ${type}
    url: "\${DATABASE_URL}"
    migrations: { tool: builtin }
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function userUrl(admin: string, db: string, user: string, pw: string): string {
  const u = new URL(admin);
  u.username = user;
  u.password = pw;
  u.pathname = `/${db}`;
  return u.toString();
}

/** A PostgreSQL role with a password (CREATEDB: `verify: restore` makes a scratch database) owning two databases. */
async function postgresUser(pw: string): Promise<{ url: string; targetUrl: string }> {
  const user = `sg_u_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  const dbs: TestDatabase[] = [await createTestDatabase(), await createTestDatabase()];
  try {
    await admin.query(`CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '${pw}'`);
    for (const d of dbs) await admin.query(`ALTER DATABASE ${d.name} OWNER TO ${user}`);
  } finally {
    await admin.end();
  }
  cleanups.push(async () => {
    for (const d of dbs) await d.drop();
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${user}`).finally(() => c.end());
  });
  return { url: userUrl(ADMIN_URL, dbs[0]!.name, user, pw), targetUrl: userUrl(ADMIN_URL, dbs[1]!.name, user, pw) };
}

/** A MariaDB user with a password, with rights on two databases and the scratch databases of the proof. */
async function mysqlUser(pw: string): Promise<{ url: string; targetUrl: string }> {
  const user = `sg_u_${randomBytes(4).toString('hex')}`;
  const dbs: TestDatabase[] = [await createMysqlTestDatabase(), await createMysqlTestDatabase()];
  const admin = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, multipleStatements: true });
  try {
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${pw}'; GRANT ALL ON \`${dbs[0]!.name}\`.* TO '${user}'@'%'; GRANT ALL ON \`${dbs[1]!.name}\`.* TO '${user}'@'%'; GRANT ALL ON \`shipgate\\_verify\\_%\`.* TO '${user}'@'%'`);
  } finally {
    await admin.end();
  }
  cleanups.push(async () => {
    for (const d of dbs) await d.drop();
    const c = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
    await c.query(`DROP USER IF EXISTS '${user}'@'%'`).finally(() => c.end());
  });
  return { url: userUrl(MYSQL_ADMIN_URL, dbs[0]!.name, user, pw), targetUrl: userUrl(MYSQL_ADMIN_URL, dbs[1]!.name, user, pw) };
}

/** Every file under `dir` (records, state store and its journal, manifests, archives, logs), as raw bytes in latin1. */
async function allFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path, await readFile(path, 'latin1'));
  }
  return files;
}

/** The places the password could leak to exist, so the scan below can fail. */
async function expectEvidence(dir: string): Promise<void> {
  const files = [...(await allFiles(dir)).keys()];
  expect(files.some((f) => f.endsWith('.manifest.json'))).toBe(true);
  expect(files.some((f) => f.includes('/.shipgate/records/'))).toBe(true);
}

function expectNoSecret(where: string, text: string, forms: string[]): void {
  for (const form of forms) if (text.includes(form)) throw new Error(`the password (as ${JSON.stringify(form)}) appears in ${where}:\n${text.slice(0, 2000)}`);
}

interface Session {
  project: Project;
  /** Set while a process watch runs: its PATH, with the database tools' shims first. */
  path?: string;
  outputs: { args: string[]; result: CliResult }[];
  run(args: string[], env?: Record<string, string>, expectCode?: number): Promise<CliResult>;
}

async function session(type: string, url: string, targetUrl: string): Promise<Session> {
  const project = await makeProject(config(type), { ...STATE_SCRIPTS, ...MIGRATIONS });
  cleanups.push(() => project.cleanup());
  const outputs: Session['outputs'] = [];
  const s: Session = { project, outputs, run: async (args, env = {}, expectCode = 0) => {
    const result = await project.run(args, { env: { DATABASE_URL: url, TARGET_URL: targetUrl, ...(s.path ? { PATH: s.path } : {}), ...env } });
    outputs.push({ args, result });
    expect(result.code, `shipgate ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(expectCode);
    return result;
  } };
  return s;
}

/** Every command that touches the database, with and without --json. */
async function everyCommand(s: Session): Promise<void> {
  await s.run(['deploy', 'v1.0.0']);
  for (const [path, content] of Object.entries(SECOND)) await s.project.write(path, content);
  await s.run(['deploy', 'v1.0.1', '--json'], { FAIL_DEPLOY: '1' }, 1);
  await s.run(['backup', 'create']);
  const made = json<{ id: string }[]>(await s.run(['backup', 'create', '--json']));
  await s.run(['backup', 'list']);
  await s.run(['backup', 'list', '--json']);
  const id = made[0]!.id;
  await s.run(['backup', 'verify', id]);
  await s.run(['backup', 'verify', id, '--json']);
  await s.run(['backup', 'restore', id, '--dry-run']);
  await s.run(['backup', 'restore', id, '--dry-run', '--json']);
  await s.run(['backup', 'restore', id]);
  await s.run(['backup', 'restore', id, '--json']);
  await s.run(['backup', 'restore', id, '--target-url', 'env:TARGET_URL']);
  await s.run(['backup', 'restore', id, '--target-url', 'env:TARGET_URL', '--json']);
  for (const action of ['status', 'up', 'down', 'validate', 'up']) {
    await s.run(['migrate', action]);
    await s.run(['migrate', action === 'up' ? 'status' : action, '--json']);
  }
  await s.run(['status']);
  const history = json<{ deployment_id: string }[]>(await s.run(['history', '--json']));
  expect(history).toHaveLength(2);
  for (const h of history) {
    await s.run(['show', h.deployment_id, '--events', '--json']);
    await s.run(['show', h.deployment_id, '--events']);
  }
}

async function expectNoLeak(s: Session, seen: string[], pw: string): Promise<void> {
  const forms = [pw, encodeURIComponent(pw), new URL(`postgres://u:${encodeURIComponent(pw)}@h/d`).password];
  for (const { args, result } of s.outputs) expectNoSecret(`the output of shipgate ${args.join(' ')}`, result.stdout + result.stderr, forms);
  const files = await allFiles(s.project.dir);
  for (const [path, text] of files) expectNoSecret(path, text, forms);
  for (const cmdline of seen) expectNoSecret(`the process list (${cmdline.slice(0, 80)}…)`, cmdline, forms);
}

/** The command lines seen while `fn` ran. */
async function watching(s: Session, fn: () => Promise<void>): Promise<string[]> {
  const watch = watchProcesses(s.project.dir);
  s.path = watch.path;
  try {
    await fn();
  } finally {
    delete s.path;
    watch.stop();
  }
  return watch.stop();
}

describe('database URL secrets', () => {
  it('PostgreSQL: no command puts the password in output, journal, records, store, manifests or the process list', { timeout: 180_000 }, async () => {
    const pw = password();
    const { url, targetUrl } = await postgresUser(pw);
    const s = await session('postgres', url, targetUrl);
    const seen = await watching(s, () => everyCommand(s));
    expect(seen.some((c) => c.includes('shipgate.js deploy'))).toBe(true);
    expect(seen.some((c) => /(^|\/)pg_dump /.test(c))).toBe(true);
    expect(seen.some((c) => /(^|\/)pg_restore /.test(c))).toBe(true);
    await expectEvidence(s.project.dir);
    await expectNoLeak(s, seen, pw);
  });

  it('MariaDB: no command puts the password in output, journal, records, store, manifests or the process list', { timeout: 180_000 }, async () => {
    const pw = password();
    const { url, targetUrl } = await mysqlUser(pw);
    const s = await session('mysql', url, targetUrl);
    const seen = await watching(s, () => everyCommand(s));
    expect(seen.some((c) => /(^|\/)(mariadb-dump|mysqldump) /.test(c))).toBe(true);
    await expectEvidence(s.project.dir);
    await expectNoLeak(s, seen, pw);
  });
});

describe('database connection errors name the database, never the password', () => {
  it('MariaDB, wrong password: backup, migrate and deploy say which database and user were refused', { timeout: 60_000 }, async () => {
    const { url } = await mysqlUser(password());
    const wrong = new URL(url);
    const pw = password();
    wrong.password = encodeURIComponent(pw);
    const s = await session('mysql', wrong.toString(), wrong.toString());
    const denied = `Access denied for user '${wrong.username}'@'127.0.0.1' (using password: YES)`;
    const db = wrong.pathname.slice(1);
    expect((await s.run(['backup', 'create'], {}, 1)).stderr).toBe(`error: could not connect to MySQL database ${db} at 127.0.0.1:3306 for the backup: ${denied}\n(run with --verbose for details)\n`);
    expect((await s.run(['migrate', 'status'], {}, 1)).stderr).toBe(`error: databases.main: cannot connect to the database (${denied})\n(run with --verbose for details)\n`);
    expect(json(await s.run(['migrate', 'up', '--json'], {}, 1))).toMatchObject({ status: 'error', error: `databases.main: cannot connect to the database (${denied})` });
    expect((await s.run(['deploy', 'v1.0.0'], {}, 1)).stdout).toContain(`why: could not connect to MySQL database ${db} at 127.0.0.1:3306 for the backup: ${denied}`);
    await expectNoLeak(s, [], pw);
  });

  it('PostgreSQL, unreachable host: the error names the database and where it was looked for', { timeout: 60_000 }, async () => {
    const pw = password();
    const url = `postgres://app:${encodeURIComponent(pw)}@127.0.0.1:1/appdb`;
    const s = await session('postgres', url, url);
    expect((await s.run(['backup', 'create'], {}, 1)).stderr).toBe('error: could not connect to PostgreSQL database appdb at 127.0.0.1:1 for the backup: connect ECONNREFUSED 127.0.0.1:1\n(run with --verbose for details)\n');
    expect((await s.run(['migrate', 'validate'], {}, 1)).stderr).toBe('error: databases.main: cannot connect to the database (connect ECONNREFUSED 127.0.0.1:1)\n(run with --verbose for details)\n');
    expect((await s.run(['deploy', 'v1.0.0', '--json'], {}, 1)).stdout).toContain('could not connect to PostgreSQL database appdb at 127.0.0.1:1 for the backup');
    await expectNoLeak(s, [], pw);
  });
});
