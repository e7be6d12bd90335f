import { describe, expect, it } from 'vitest';
import { splitStatements } from '../../../../src/databases/migrations/statements.js';

describe('splitStatements', () => {
  it('splits at semicolons outside strings, identifiers and comments; text starts at the first token', () => {
    const sql = "-- header; not a statement\nINSERT INTO t VALUES ('a;b', \"c;d\");\n/* x; y */ UPDATE `e;f` SET g = 1 -- trailing; comment\n;\n\nSELECT 'it''s;'";
    expect(splitStatements(sql)).toEqual([
      { index: 1, text: `INSERT INTO t VALUES ('a;b', "c;d")`, code: `INSERT INTO t VALUES ('', "c;d")` },
      { index: 2, text: 'UPDATE `e;f` SET g = 1 -- trailing; comment', code: 'UPDATE `e;f` SET g = 1' },
      { index: 3, text: "SELECT 'it''s;'", code: "SELECT ''" },
    ]);
  });

  it('MySQL: backslash escapes and # comments', () => {
    const sql = "INSERT INTO t VALUES ('a\\';b'); # comment; here\nSELECT 1";
    expect(splitStatements(sql, 'mysql').map((s) => s.code)).toEqual(["INSERT INTO t VALUES ('')", 'SELECT 1']);
    // PostgreSQL keeps backslashes literal: the string ends at the second quote.
    expect(splitStatements("SELECT 'a\\'; SELECT 2", 'postgres').map((s) => s.code)).toEqual(["SELECT ''", 'SELECT 2']);
  });

  it("PostgreSQL E'...' strings take backslash escapes; a name ending in e before a string does not", () => {
    expect(splitStatements("SELECT E'it\\'s; DROP TABLE x'; SELECT 2").map((s) => s.code)).toEqual(["SELECT E''", 'SELECT 2']);
    expect(splitStatements("SELECT type'a\\'; SELECT 2").map((s) => s.code)).toEqual(["SELECT type''", 'SELECT 2']);
  });

  it('PostgreSQL $$ and $tag$ bodies are one string; $1 parameters are not', () => {
    const sql = 'CREATE FUNCTION f() RETURNS void AS $fn$ BEGIN DROP TABLE x; END $fn$ LANGUAGE plpgsql; DO $$ BEGIN TRUNCATE y; END $$; SELECT a$b FROM t WHERE c = $1';
    expect(splitStatements(sql).map((s) => s.code)).toEqual(["CREATE FUNCTION f() RETURNS void AS '' LANGUAGE plpgsql", "DO ''", 'SELECT a$b FROM t WHERE c = $1']);
  });

  it('unterminated strings and comments run to the end instead of throwing', () => {
    expect(splitStatements("SELECT 'open; DROP TABLE x").map((s) => s.code)).toEqual(["SELECT ''"]);
    expect(splitStatements('SELECT 1; /* open; DROP TABLE x')).toHaveLength(1);
  });
});
