/**
 * Splits a migration file into statements, for the MySQL/MariaDB runner (which
 * must run them one by one) and for the destructive-statement guard (which must
 * not read comments or string literals as SQL).
 *
 * A scanner, not a parser. It knows `--` and `/* *\/` comments, '...' strings
 * with '' escapes, "..." and `...` identifiers, PostgreSQL E'...' strings and $tag$ bodies;
 * for MySQL also `#` comments and backslash escapes. Its limit: a statement
 * that contains a `;` outside those (a MySQL `DELIMITER` block, a trigger or
 * procedure body written without $$) is split at that `;`. Such migrations need
 * `tool: command`. It never throws: an unterminated string runs to the end.
 */

export interface SqlStatement {
  /** 1-based position in the file. */
  index: number;
  /** As written, from its first token to before its `;`, trimmed. */
  text: string;
  /** The statement with comments removed and string literals emptied to `''`: what rules read. */
  code: string;
}

export type SqlDialect = 'postgres' | 'mysql' | 'sqlite';

const DOLLAR_TAG_RE = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;
const IDENT_CHAR_RE = /[A-Za-z0-9_$]/;

/** Statements of `sql` in order; without a dialect, the PostgreSQL rules apply (the guard reads every dialect that way). */
export function splitStatements(sql: string, dialect?: SqlDialect): SqlStatement[] {
  const scanner = new Scanner(sql, dialect === 'mysql');
  return scanner.run();
}

class Scanner {
  private i = 0;
  private code = '';
  private textStart = -1;
  private readonly out: SqlStatement[] = [];

  constructor(
    private readonly sql: string,
    private readonly mysql: boolean,
  ) {}

  run(): SqlStatement[] {
    while (this.i < this.sql.length) this.step();
    this.finish(this.sql.length);
    return this.out;
  }

  private step(): void {
    const c = this.sql[this.i]!;
    const next = this.sql[this.i + 1];
    if (c === ';') return this.endStatement();
    if ((c === '-' && next === '-') || (c === '#' && this.mysql)) return this.skipTo('\n', ' ');
    if (c === '/' && next === '*') return this.skipBlockComment();
    this.markToken(c);
    if (c === "'") return this.skipQuoted("'", this.mysql || this.isEscapeString(), "''");
    if (c === '"' || c === '`') return this.skipQuoted(c, false, null);
    if (c === '$' && !this.mysql && this.skipDollarBody()) return;
    this.code += c;
    this.i++;
  }

  /** The first non-blank character outside a comment starts the statement's text. */
  private markToken(c: string): void {
    if (this.textStart < 0 && !/\s/.test(c)) this.textStart = this.i;
  }

  /** PostgreSQL's E'...' strings take backslash escapes (E'it\'s'). */
  private isEscapeString(): boolean {
    const prev = this.sql[this.i - 1];
    return (prev === 'E' || prev === 'e') && !IDENT_CHAR_RE.test(this.sql[this.i - 2] ?? ' ');
  }

  private endStatement(): void {
    this.finish(this.i);
    this.i++;
  }

  private finish(end: number): void {
    if (this.textStart >= 0 && this.code.trim() !== '') {
      const text = this.sql.slice(this.textStart, end).trim();
      this.out.push({ index: this.out.length + 1, text, code: this.code.trim() });
    }
    this.code = '';
    this.textStart = -1;
  }

  /** Skips to (and past) `end`; a comment becomes `replacement` in the code. */
  private skipTo(end: string, replacement: string): void {
    const at = this.sql.indexOf(end, this.i);
    this.i = at < 0 ? this.sql.length : at + end.length;
    this.code += replacement;
  }

  private skipBlockComment(): void {
    this.i += 2;
    this.skipTo('*/', ' ');
  }

  /** A string (emptied to `''` in the code) or a quoted identifier (kept, `replacement` null). */
  private skipQuoted(quote: string, backslash: boolean, replacement: string | null): void {
    const from = this.i;
    this.i++;
    while (this.i < this.sql.length) {
      const c = this.sql[this.i]!;
      if (backslash && c === '\\') this.i += 2;
      else if (c === quote && this.sql[this.i + 1] === quote) this.i += 2;
      else if (c === quote) break;
      else this.i++;
    }
    this.i = Math.min(this.i + 1, this.sql.length);
    this.code += replacement ?? this.sql.slice(from, this.i);
  }

  /** A PostgreSQL `$tag$...$tag$` body (functions, DO blocks): a string to the guard. */
  private skipDollarBody(): boolean {
    if (this.i > 0 && IDENT_CHAR_RE.test(this.sql[this.i - 1]!)) return false;
    DOLLAR_TAG_RE.lastIndex = this.i;
    const tag = DOLLAR_TAG_RE.exec(this.sql);
    if (!tag) return false;
    this.i += tag[0].length;
    this.skipTo(tag[0], "''");
    return true;
  }
}
