import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MigrationFile } from '../../../../src/databases/contract.js';
import { destructiveStatements, GUARD_RULES, guardMigrations, type GuardRule } from '../../../../src/databases/migrations/guard.js';

const rulesOf = (sql: string): GuardRule[] => destructiveStatements(sql).map((f) => f.rule);

/** Each rule: statements it must flag, and close ones it must not. */
const CASES: Record<GuardRule, { positive: string[]; negative: string[] }> = {
  'drop-table': { positive: ['DROP TABLE users', 'drop table if exists "Users", b'], negative: ['DROP VIEW v', 'CREATE TABLE drop_table (id int)'] },
  'drop-column': {
    positive: ['ALTER TABLE users DROP COLUMN name', 'alter table users drop name', 'ALTER TABLE ONLY public.users DROP COLUMN IF EXISTS name', 'ALTER TABLE t ADD COLUMN a int, DROP COLUMN b'],
    negative: ['ALTER TABLE users DROP CONSTRAINT users_pk', 'ALTER TABLE users DROP INDEX idx', 'ALTER TABLE users ALTER COLUMN name DROP DEFAULT', 'ALTER TABLE users ALTER COLUMN name DROP NOT NULL', 'ALTER TABLE users DROP FOREIGN KEY fk'],
  },
  rename: {
    positive: ['ALTER TABLE users RENAME TO people', 'ALTER TABLE users RENAME COLUMN name TO full_name', 'ALTER TABLE users RENAME name TO full_name', 'RENAME TABLE users TO people'],
    negative: ['ALTER TABLE users RENAME CONSTRAINT a TO b', 'ALTER TABLE users RENAME INDEX a TO b', 'UPDATE users SET name = \'RENAME TABLE x TO y\''],
  },
  'type-change': {
    positive: ['ALTER TABLE users ALTER COLUMN age TYPE bigint', 'ALTER TABLE users ALTER age SET DATA TYPE text', 'ALTER TABLE users MODIFY COLUMN age BIGINT', 'ALTER TABLE users CHANGE COLUMN age years INT', 'ALTER TABLE users ALTER COLUMN "first name" TYPE text USING "first name"::text'],
    negative: ['ALTER TABLE users ALTER COLUMN age SET DEFAULT 0', 'ALTER TABLE users ADD COLUMN type text'],
  },
  'add-not-null': {
    positive: ['ALTER TABLE users ADD COLUMN email text NOT NULL', 'ALTER TABLE users ADD email VARCHAR(255) NOT NULL'],
    negative: ['ALTER TABLE users ADD COLUMN email text NOT NULL DEFAULT \'\'', 'ALTER TABLE users ADD COLUMN email text', 'ALTER TABLE users ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY NOT NULL', 'ALTER TABLE users ADD COLUMN n BIGSERIAL NOT NULL', 'ALTER TABLE users ADD CONSTRAINT c CHECK (a IS NOT NULL)'],
  },
  'set-not-null': { positive: ['ALTER TABLE users ALTER COLUMN email SET NOT NULL', 'ALTER TABLE users ALTER email SET NOT NULL', 'ALTER TABLE users ALTER COLUMN `e mail` SET NOT NULL'], negative: ['ALTER TABLE users ALTER COLUMN email DROP NOT NULL'] },
  'drop-schema': { positive: ['DROP SCHEMA billing CASCADE', 'DROP DATABASE app'], negative: ['CREATE SCHEMA billing'] },
  truncate: { positive: ['TRUNCATE users', 'truncate table users'], negative: ["INSERT INTO log VALUES ('TRUNCATE users')"] },
  'add-unique': {
    positive: ['ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email)', 'ALTER TABLE users ADD UNIQUE KEY (email)', 'ALTER TABLE users ADD PRIMARY KEY (id)', 'CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)'],
    negative: ['CREATE INDEX users_email ON users (email)', 'ALTER TABLE users ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES b (id)'],
  },
};

describe('destructiveStatements', () => {
  for (const [rule, { positive, negative }] of Object.entries(CASES) as [GuardRule, (typeof CASES)[GuardRule]][]) {
    it(`${rule}: flags ${positive.length} forms, passes ${negative.length} close ones`, () => {
      for (const sql of positive) expect(rulesOf(sql), sql).toEqual([rule]);
      for (const sql of negative) expect(rulesOf(sql), sql).not.toContain(rule);
    });
  }

  it('pins the message: file, statement number, rule advice; the finding keeps the statement text', () => {
    const findings = destructiveStatements('CREATE INDEX i ON users (a);\n  ALTER TABLE users DROP COLUMN name ;', '0003_drop_name.up.sql');
    expect(findings).toEqual([
      {
        statement: 2,
        text: 'ALTER TABLE users DROP COLUMN name',
        rule: 'drop-column',
        message:
          '0003_drop_name.up.sql statement 2: DROP COLUMN breaks the version still running during a canary (it reads the column); split it into expand/contract: stop using the column, deploy, then drop it in a later deploy marked -- shipgate:contract',
      },
    ]);
  });

  it('pins every rule text', () => {
    expect(Object.fromEntries(Object.entries(GUARD_RULES).map(([k, v]) => [k, v.message]))).toMatchInlineSnapshot(`
      {
        "add-not-null": "ADD COLUMN ... NOT NULL without DEFAULT fails on a table with rows and breaks the INSERTs of the version still running (they do not set the column); add it with a DEFAULT or nullable, then tighten it in a later deploy marked -- shipgate:contract",
        "add-unique": "adding a UNIQUE constraint or PRIMARY KEY to an existing table fails when existing rows have duplicates and locks the table while it is checked; remove duplicates and build the index first (CONCURRENTLY where the database can), then add the constraint in a later deploy marked -- shipgate:contract",
        "drop-column": "DROP COLUMN breaks the version still running during a canary (it reads the column); split it into expand/contract: stop using the column, deploy, then drop it in a later deploy marked -- shipgate:contract",
        "drop-schema": "DROP SCHEMA/DATABASE deletes every table in it, and the version still running with them; do it by hand, or in a deploy marked -- shipgate:contract once nothing uses it",
        "drop-table": "DROP TABLE breaks the version still running during a canary (it reads the table) and deletes its rows; split it into expand/contract: stop using the table, deploy, then drop it in a later deploy marked -- shipgate:contract",
        "rename": "RENAME breaks the version still running during a canary (it uses the old name); split it into expand/contract: add the new name, write both, deploy, then remove the old one in a later deploy marked -- shipgate:contract",
        "set-not-null": "SET NOT NULL breaks the INSERTs of the version still running that leave the column empty, and fails on existing NULLs; backfill it and deploy code that always sets it, then add NOT NULL in a later deploy marked -- shipgate:contract",
        "truncate": "TRUNCATE deletes every row of the table, and only a backup restore brings them back; if that is the intent, put it in a deploy marked -- shipgate:contract",
        "type-change": "a column type change (ALTER COLUMN ... TYPE, MODIFY, CHANGE) breaks the version still running during a canary (it reads and writes the old type) and rewrites the table under a lock; add a column of the new type, backfill it, switch to it, then drop the old one in a later deploy marked -- shipgate:contract",
      }
    `);
  });

  it('ignores comments, string literals and function bodies', () => {
    const sql = "-- DROP TABLE users;\n/* ALTER TABLE users DROP COLUMN a; */\nINSERT INTO audit (note) VALUES ('DROP TABLE users; TRUNCATE x');\nCREATE FUNCTION f() RETURNS void AS $$ BEGIN DROP TABLE y; END $$ LANGUAGE plpgsql;";
    expect(destructiveStatements(sql)).toEqual([]);
  });

  it('changes to a table created earlier in the same file pass (nothing reads it yet)', () => {
    expect(rulesOf('CREATE TABLE "Orders" (id int); ALTER TABLE orders ADD COLUMN total int NOT NULL; CREATE UNIQUE INDEX o ON public.orders (id)')).toEqual([]);
    expect(rulesOf('CREATE TABLE orders (id int); ALTER TABLE users ADD COLUMN total int NOT NULL')).toEqual(['add-not-null']);
  });

  it('one statement with several rules lists each once', () => {
    expect(rulesOf('ALTER TABLE t DROP COLUMN a, DROP COLUMN b, RENAME COLUMN c TO d')).toEqual(['drop-column', 'rename']);
  });

  it('DROP INDEX, with or without CONCURRENTLY, is not destructive (the old version only gets slower)', () => {
    expect(destructiveStatements('DROP INDEX users_email; DROP INDEX CONCURRENTLY IF EXISTS users_name; ALTER TABLE users DROP INDEX idx')).toEqual([]);
  });

  it('never throws on SQL-like token soup', () => {
    const tokens = ['ALTER', 'TABLE', 'DROP', 'COLUMN', 'ADD', 'RENAME', 'TO', 'NOT', 'NULL', 'DEFAULT', 'UNIQUE', 'PRIMARY', 'KEY', 'CREATE', 'INDEX', 'ON', 'TRUNCATE', 'SCHEMA', 'TYPE', 'SET', 'MODIFY', 'CHANGE', 'IF', 'EXISTS', 'ONLY', 't', '"q"', '`b`', 'x.y', ';', ',', '(', ')', "'", '"', '`', '--', '\n', '/*', '*/', '$$', '$a$', '#', '\\'];
    const soup = fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((parts) => parts.join(' '));
    fc.assert(fc.property(soup, (s) => destructiveStatements(s).every((f) => f.statement >= 1 && f.message.length > 0)), { numRuns: 3000 });
  });

  it('never throws on arbitrary text', () => {
    const sqlish = fc.stringMatching(/^[A-Za-z ;'"`$()\-/*#,.\n\\]{0,120}$/);
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), sqlish), (s) => Array.isArray(destructiveStatements(s))), { numRuns: 2000 });
  });
});

describe('guardMigrations', () => {
  const file = (name: string, up: string, contract = false): MigrationFile => ({ name, up, down: null, sha256: 'x', contract });
  const files = [
    file('0001_rename', 'ALTER TABLE users RENAME COLUMN a TO b;'),
    file('0002_drop', 'ALTER TABLE users DROP COLUMN c;'),
    file('0003_contract', '-- shipgate:contract\nDROP TABLE old;', true),
    file('0004_safe', 'CREATE TABLE n (id int);'),
  ];

  it('blocks the destructive pending files when two versions run; contract files pass', () => {
    const { blocked } = guardMigrations(files, { strategyRunsTwoVersions: true, allowDestructive: false });
    expect(blocked.map((f) => f.message.split(':')[0])).toEqual(['0001_rename.up.sql statement 1', '0002_drop.up.sql statement 1']);
  });

  it('already applied files are not checked again', () => {
    const { blocked } = guardMigrations(files, { strategyRunsTwoVersions: true, allowDestructive: false, applied: ['0001_rename', '0002_drop'] });
    expect(blocked).toEqual([]);
  });

  it('with one version at a time (an immediate deploy) every statement kind passes', () => {
    expect(guardMigrations(files, { strategyRunsTwoVersions: false, allowDestructive: false })).toEqual({ blocked: [] });
  });

  it('allowDestructive lets everything pass', () => {
    expect(guardMigrations(files, { strategyRunsTwoVersions: true, allowDestructive: true })).toEqual({ blocked: [] });
  });
});
