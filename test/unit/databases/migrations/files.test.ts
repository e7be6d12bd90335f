import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError } from '../../../../src/databases/migrations/errors.js';
import { compareMigrationNames, MigrationFolderError, parseMigrationFiles, readMigrationFiles } from '../../../../src/databases/migrations/files.js';
import { makeTempDir, type TempDir } from '../../../support/tmp.js';

const src = (fileName: string, text: string) => ({ fileName, content: Buffer.from(text) });

function problemsOf(sources: ReturnType<typeof src>[]): string[] {
  try {
    parseMigrationFiles('db/migrations', sources);
  } catch (err) {
    expect(err).toBeInstanceOf(MigrationFolderError);
    return (err as MigrationFolderError).problems;
  }
  throw new Error('expected the folder to be refused');
}

describe('parseMigrationFiles', () => {
  it('pairs up and down files, sorted by number, with the sha256 of the up file and the contract marker', () => {
    const files = parseMigrationFiles('m', [
      src('10_later.up.sql', 'CREATE TABLE c (id int);'),
      src('0002_drop.up.sql', '-- shipgate:contract\nALTER TABLE a DROP COLUMN b;'),
      src('0001_init.down.sql', 'DROP TABLE a;'),
      src('0001_init.up.sql', 'CREATE TABLE a (id int, b int);'),
      src('README.md', 'not a migration'),
    ]);
    expect(files.map((f) => f.name)).toEqual(['0001_init', '0002_drop', '10_later']);
    expect(files[0]).toEqual({
      name: '0001_init',
      up: 'CREATE TABLE a (id int, b int);',
      down: 'DROP TABLE a;',
      sha256: createHash('sha256').update('CREATE TABLE a (id int, b int);').digest('hex'),
      contract: false,
    });
    expect(files[1]).toMatchObject({ down: null, contract: true });
  });

  it('a marker inside a statement or a longer comment is not the contract line', () => {
    const [f] = parseMigrationFiles('m', [src('1_a.up.sql', "-- shipgate:contract later\nSELECT '-- shipgate:contract';")]);
    expect(f!.contract).toBe(false);
  });

  it('names every problem of the folder at once, each with its file', () => {
    const problems = problemsOf([
      src('0001_a.up.sql', 'SELECT 1;'),
      src('0001_b.up.sql', 'SELECT 1;'),
      src('0002_gone.down.sql', 'SELECT 1;'),
      src('0003-dash.up.sql', 'SELECT 1;'),
      src('0004_plain.sql', 'SELECT 1;'),
      src('0005_empty.up.sql', '  -- only a comment\n/* and this */\n ; '),
    ]);
    expect(problems).toEqual([
      '0003-dash.up.sql: expected a name like 0001_add_users.up.sql or 0001_add_users.down.sql (digits, "_", then letters, digits and "_")',
      '0004_plain.sql: expected a name like 0001_add_users.up.sql or 0001_add_users.down.sql (digits, "_", then letters, digits and "_")',
      '0002_gone.down.sql: a down file without its up file 0002_gone.up.sql',
      '0001_a.up.sql and 0001_b.up.sql: the same number 0001; each migration needs its own',
      '0005_empty.up.sql: empty (no SQL statement outside comments)',
    ]);
  });

  it('numbers are compared as numbers: 1_a and 001_b are duplicates', () => {
    expect(problemsOf([src('1_a.up.sql', 'SELECT 1;'), src('001_b.up.sql', 'SELECT 1;')])).toEqual(['001_b.up.sql and 1_a.up.sql: the same number 001; each migration needs its own']);
  });

  it('the error message names the folder and lists the problems', () => {
    expect(() => parseMigrationFiles('db/migrations', [src('x.up.sql', 'SELECT 1')])).toThrow(
      'invalid migrations folder db/migrations:\n  x.up.sql: expected a name like 0001_add_users.up.sql or 0001_add_users.down.sql (digits, "_", then letters, digits and "_")',
    );
  });

  it('compareMigrationNames orders by number, then name, and tolerates foreign names', () => {
    expect(['10_a', '2_b', 'zz', '2_a'].sort(compareMigrationNames)).toEqual(['zz', '2_a', '2_b', '10_a']);
  });
});

describe('readMigrationFiles', () => {
  let tmp: TempDir;
  afterEach(() => tmp?.cleanup());

  it('reads a real folder', async () => {
    tmp = await makeTempDir();
    await writeFile(join(tmp.path, '0001_a.up.sql'), 'CREATE TABLE a (id int);');
    await mkdir(join(tmp.path, 'notes'));
    const files = await readMigrationFiles(tmp.path);
    expect(files.map((f) => f.name)).toEqual(['0001_a']);
  });

  it('a missing folder is a clear error naming it', async () => {
    tmp = await makeTempDir();
    const dir = join(tmp.path, 'nope');
    const err = await readMigrationFiles(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toBe(`migrations folder ${dir} does not exist`);
  });
});
