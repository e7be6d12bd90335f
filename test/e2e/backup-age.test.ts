/**
 * Backups encrypted to age recipients, through the CLI: a wrong identity stops the
 * deploy at the backup's proof, before any migration; the identity never appears in
 * output, journal, records, the state store or manifests.
 */
import { chmod, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { afterEach, describe, expect, it } from 'vitest';
import { base64Forms } from '../../src/runtime/secret-forms.js';
import { mistype } from '../support/mistype.js';
import { json, makeProject, SCRIPTS_PROVIDER, STATE_SCRIPTS, type CliResult, type Project } from '../support/project.js';

const config = (encryption: string, verify = 'restore'): string => `app: agetest
${SCRIPTS_PROVIDER}databases:
  main:
    type: sqlite
    url: "sqlite:app.db"
    backup: { verify: ${verify}, storage: { type: local, path: backups }, encryption: ${encryption} }
    migrations: { tool: builtin, dir: migrations }
`;

const MIGRATIONS = {
  'migrations/0001_items.up.sql': 'CREATE TABLE items (id integer PRIMARY KEY, name text);\nINSERT INTO items VALUES (1, \'one\');\n',
  'migrations/0001_items.down.sql': 'DROP TABLE items;\n',
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(encryption: string, verify?: string): Promise<Project> {
  const p = await makeProject(config(encryption, verify), { ...STATE_SCRIPTS, ...MIGRATIONS });
  cleanups.push(() => p.cleanup());
  const db = new Database(join(p.dir, 'app.db'));
  db.exec("CREATE TABLE users (id integer PRIMARY KEY, name text); INSERT INTO users VALUES (1, 'ada');");
  db.close();
  return p;
}

const tables = (p: Project): string[] => {
  const db = new Database(join(p.dir, 'app.db'), { readonly: true });
  try {
    return db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => (r as { name: string }).name);
  } finally {
    db.close();
  }
};

async function allFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.set(join(entry.parentPath, entry.name), await readFile(join(entry.parentPath, entry.name), 'latin1'));
  }
  return files;
}

function expectNoIdentity(where: string, text: string, identity: string): void {
  for (const form of [identity, identity.toLowerCase(), identity.slice(16, 60), ...base64Forms(Buffer.from(identity))]) {
    if (text.includes(form)) throw new Error(`the age identity (as ${JSON.stringify(form)}) appears in ${where}:\n${text.slice(0, 2000)}`);
  }
}

describe('age-encrypted backups through the CLI', () => {
  it('a wrong identity: the backup fails its proof as undecryptable, the deploy stops before any migration, nothing is left in storage', { timeout: 60_000 }, async () => {
    const identity = await generateX25519Identity();
    const p = await project(`{ recipients: [${await identityToRecipient(identity)}], identity: "\${BACKUP_AGE_IDENTITY}" }`);
    const wrong = await generateX25519Identity();
    const r = await p.run(['deploy', 'v1.0.0'], { env: { BACKUP_AGE_IDENTITY: wrong } });
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/why: archive \S+\.sqlite\.gz\.age could not be decoded: the age identity matches none of this archive's recipients \(it was encrypted for another key, or its header was altered\); the archive was deleted/);
    expect(tables(p)).toEqual(['users']);
    expect(await p.readOr('calls.log', '')).toBe('');
    expect((await readdir(join(p.dir, 'backups'), { recursive: true }).catch(() => [])).filter((f) => String(f).endsWith('.age'))).toEqual([]);
    expectNoIdentity('the output', r.stdout + r.stderr, wrong);
  });

  it('without an identity on this host: backups are checked by their sha256, and a restore says what it needs', { timeout: 60_000 }, async () => {
    const p = await project(`{ recipients: [${await identityToRecipient(await generateX25519Identity())}] }`, 'list');
    const made = await p.run(['backup', 'create']);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    expect(made.stdout).toMatch(/checked by list: sha256 ok \(the table list is inside the age encryption, and no identity is set here\)/);
    const id = /bk_\S+/.exec(made.stdout)![0];
    const restored = await p.run(['backup', 'restore', id]);
    expect(restored.code).toBe(1);
    expect(restored.stderr).toContain('error: the archive is encrypted to age recipients, but neither backup.encryption.identity nor backup.encryption.identityFile is set, so it cannot be decrypted here');
    expect(tables(p)).toEqual(['users']);
    // Refused before the safety backup a restore over the database takes first.
    expect((await readdir(join(p.dir, 'backups'), { recursive: true })).filter((f) => String(f).includes('/safety/'))).toEqual([]);
  });

  it('without an identity on this host, an undo that needs the backup refuses (a stop sign) and names where to restore it', { timeout: 60_000 }, async () => {
    const p = await project(`{ recipients: [${await identityToRecipient(await generateX25519Identity())}] }`, 'list');
    expect((await p.run(['deploy', 'v1.0.0'])).code).toBe(0);
    await p.write('migrations/0002_tags.up.sql', 'CREATE TABLE tags (id integer);\n');
    await p.write('migrations/0003_broken.up.sql', 'INSERT INTO no_such_table VALUES (1);\n');
    const r = await p.run(['deploy', 'v1.1.0']);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(r.stdout + r.stderr).toMatch(/main: 0002_tags has no down; the backup (bk_\S+) is encrypted to age recipients and no identity is set here \(backup\.encryption\.identity or identityFile\), so it cannot be restored here; restore it where the identity is, with `shipgate backup restore \1 --db main`, or write the down/);
    expect(tables(p)).toEqual(['items', 'shipgate_migrations', 'tags', 'users']);
    // No safety backup was taken for a restore that could not happen.
    expect((await readdir(join(p.dir, 'backups'), { recursive: true })).filter((f) => String(f).includes('/safety/'))).toEqual([]);
  });

  it('rollback --type database of an age backup: restored with the identity; without one, refused before any safety backup, nothing changed', { timeout: 120_000 }, async () => {
    const identity = await generateX25519Identity();
    const p = await project(`{ recipients: [${await identityToRecipient(identity)}], identity: "\${BACKUP_AGE_IDENTITY}" }`, 'list');
    const env = { BACKUP_AGE_IDENTITY: identity };
    expect((await p.run(['deploy', 'v1.0.0'], { env })).code).toBe(0);
    const withIdentity = await p.readOr('shipgate.yaml', '');
    await p.write('shipgate.yaml', config(`{ recipients: [${await identityToRecipient(identity)}] }`, 'list'));
    const refused = await p.run(['rollback', '--type', 'database', '--db', 'main']);
    expect(refused.code, refused.stdout + refused.stderr).toBe(3);
    expect(refused.stdout + refused.stderr).toMatch(/main: the backup bk_\S+ is encrypted \(age\) and this host has nothing to decrypt it with \(backup\.encryption\.identity or identityFile for age, key for a passphrase\): restore it where the key is\. Nothing was changed/);
    expect(tables(p)).toEqual(['items', 'shipgate_migrations', 'users']);
    expect((await readdir(join(p.dir, 'backups'), { recursive: true })).filter((f) => String(f).includes('/safety/'))).toEqual([]);
    await p.write('shipgate.yaml', withIdentity);
    const r = await p.run(['rollback', '--type', 'database', '--db', 'main'], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(tables(p)).toEqual(['users']);
    expectNoIdentity('the output', r.stdout + r.stderr, identity);
  });

  it('the identity, from the environment or a file, never appears in output, journal, records, store or manifests', { timeout: 120_000 }, async () => {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const outputs: { args: string[]; result: CliResult }[] = [];
    const run = async (p: Project, args: string[], env: Record<string, string> = {}, code = 0): Promise<CliResult> => {
      const result = await p.run(args, { env: { BACKUP_AGE_IDENTITY: identity, ...env } });
      outputs.push({ args, result });
      expect(result.code, `shipgate ${args.join(' ')}\n${result.stdout}\n${result.stderr}`).toBe(code);
      return result;
    };
    const fromEnv = await project(`{ recipients: [${recipient}], identity: "\${BACKUP_AGE_IDENTITY}" }`);
    await run(fromEnv, ['deploy', 'v1.0.0']);
    const id = json<{ id: string }[]>(await run(fromEnv, ['backup', 'create', '--json']))[0]!.id;
    await run(fromEnv, ['backup', 'list', '--json']);
    await run(fromEnv, ['backup', 'verify', id, '--json']);
    await run(fromEnv, ['backup', 'restore', id]);
    await run(fromEnv, ['config', 'print']);
    await run(fromEnv, ['config', 'print', '--json']);
    const history = json<{ deployment_id: string }[]>(await run(fromEnv, ['history', '--json']));
    const record = json<{ database_backup: { encryption: string } }>(await run(fromEnv, ['show', history[0]!.deployment_id, '--json']));
    expect(record.database_backup.encryption).toBe('age');
    await run(fromEnv, ['show', history[0]!.deployment_id, '--events', '--json']);
    // A mistyped identity: the config error names the key, not the value.
    const typo = await run(fromEnv, ['backup', 'create'], { BACKUP_AGE_IDENTITY: mistype(identity, 40) }, 2);
    expect(typo.stderr).toContain('databases.main.backup.encryption.identity: expected an X25519 age identity');

    const fromFile = await project(`{ recipients: [${recipient}], identityFile: age.txt }`);
    await fromFile.write('age.txt', `# public key: ${recipient}\n${identity}\n`);
    await chmod(join(fromFile.dir, 'age.txt'), 0o600);
    await run(fromFile, ['backup', 'create']);
    await run(fromFile, ['deploy', 'v1.0.0']);

    for (const { args, result } of outputs) expectNoIdentity(`the output of shipgate ${args.join(' ')}`, result.stdout + result.stderr, identity);
    for (const p of [fromEnv, fromFile]) {
      const files = await allFiles(p.dir);
      expect([...files.keys()].some((f) => f.endsWith('.age.manifest.json'))).toBe(true);
      for (const [path, text] of files) if (!path.endsWith('age.txt')) expectNoIdentity(path, text, identity);
    }
  });
});
