import type { MigrationFile } from '../contract.js';
import { splitStatements } from './statements.js';

/**
 * The destructive-statement guard: pure. During a canary, rolling or blue-green
 * rollout the previous version keeps running against the migrated schema, so a
 * statement that removes or reshapes what it reads breaks it. Such changes go in
 * two deploys (expand, then contract); the contract file carries the
 * `-- shipgate:contract` line and passes.
 */

const CONTRACT_HINT = 'in a later deploy marked -- shipgate:contract';

/**
 * Each rule's pinned advice. `lossy` rules destroy data a code rollback cannot
 * bring back (only the backup can); the others only break the version still
 * running next to the new one.
 */
export const GUARD_RULES = {
  'drop-table': { lossy: true, message: `DROP TABLE breaks the version still running during a canary (it reads the table) and deletes its rows; split it into expand/contract: stop using the table, deploy, then drop it ${CONTRACT_HINT}` },
  'drop-column': { lossy: true, message: `DROP COLUMN breaks the version still running during a canary (it reads the column); split it into expand/contract: stop using the column, deploy, then drop it ${CONTRACT_HINT}` },
  rename: { lossy: false, message: `RENAME breaks the version still running during a canary (it uses the old name); split it into expand/contract: add the new name, write both, deploy, then remove the old one ${CONTRACT_HINT}` },
  'type-change': { lossy: false, message: `a column type change (ALTER COLUMN ... TYPE, MODIFY, CHANGE) breaks the version still running during a canary (it reads and writes the old type) and rewrites the table under a lock; add a column of the new type, backfill it, switch to it, then drop the old one ${CONTRACT_HINT}` },
  'add-not-null': { lossy: false, message: `ADD COLUMN ... NOT NULL without DEFAULT fails on a table with rows and breaks the INSERTs of the version still running (they do not set the column); add it with a DEFAULT or nullable, then tighten it ${CONTRACT_HINT}` },
  'set-not-null': { lossy: false, message: `SET NOT NULL breaks the INSERTs of the version still running that leave the column empty, and fails on existing NULLs; backfill it and deploy code that always sets it, then add NOT NULL ${CONTRACT_HINT}` },
  'drop-schema': { lossy: true, message: `DROP SCHEMA/DATABASE deletes every table in it, and the version still running with them; do it by hand, or in a deploy marked -- shipgate:contract once nothing uses it` },
  truncate: { lossy: true, message: `TRUNCATE deletes every row of the table, and only a backup restore brings them back; if that is the intent, put it in a deploy marked -- shipgate:contract` },
  'add-unique': { lossy: false, message: `adding a UNIQUE constraint or PRIMARY KEY to an existing table fails when existing rows have duplicates and locks the table while it is checked; remove duplicates and build the index first (CONCURRENTLY where the database can), then add the constraint ${CONTRACT_HINT}` },
} as const;
export type GuardRule = keyof typeof GUARD_RULES;

export interface Finding {
  /** 1-based statement number in the file. */
  statement: number;
  /** The statement as written, trimmed. */
  text: string;
  rule: GuardRule;
  /** `0003_drop_name.up.sql statement 2: DROP COLUMN breaks ...` */
  message: string;
}

const NAME = String.raw`(?:"[^"]*"|\x60[^\x60]*\x60|[\w$]+)(?:\.(?:"[^"]*"|\x60[^\x60]*\x60|[\w$]+))*`;
/** A column name: quoted (may hold spaces) or a plain word. */
const COLUMN = String.raw`(?:"[^"]*"|\x60[^\x60]*\x60|\S+)`;
const CREATE_TABLE_RE = new RegExp(String.raw`^CREATE\s+(?:(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY|UNLOGGED)\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(${NAME})`);
const ALTER_TABLE_RE = new RegExp(String.raw`^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(${NAME})\s*([\s\S]*)$`);
const UNIQUE_INDEX_RE = new RegExp(String.raw`^CREATE\s+UNIQUE\s+INDEX\b[\s\S]*?\bON\s+(?:ONLY\s+)?(${NAME})`);

/** Statement-level rules (anything but ALTER TABLE and CREATE UNIQUE INDEX). */
const STATEMENT_RULES: ReadonlyArray<[RegExp, GuardRule]> = [
  [/^DROP\s+TABLE\b/, 'drop-table'],
  [/^DROP\s+(?:SCHEMA|DATABASE)\b/, 'drop-schema'],
  [/^TRUNCATE\b/, 'truncate'],
  [/^RENAME\s+TABLES?\b/, 'rename'],
];

/** Rules of one ALTER TABLE action (`DROP COLUMN a`, `ADD b INT`...); the first match decides, null means harmless. */
const ACTION_RULES: ReadonlyArray<[RegExp, GuardRule | null]> = [
  [/^DROP\s+COLUMN\b/, 'drop-column'],
  [/^DROP\s+(?:CONSTRAINT|INDEX|KEY|PRIMARY|FOREIGN|CHECK|PARTITION|SYSTEM|PERIOD)\b/, null],
  [/^DROP\s+/, 'drop-column'],
  [/^RENAME\s+(?:CONSTRAINT|INDEX|KEY)\b/, null],
  [/^RENAME\b/, 'rename'],
  [/^(?:MODIFY|CHANGE)\b/, 'type-change'],
  [new RegExp(String.raw`^ALTER\s+(?:COLUMN\s+)?${COLUMN}\s+(?:SET\s+DATA\s+)?TYPE\b`), 'type-change'],
  [new RegExp(String.raw`^ALTER\s+(?:COLUMN\s+)?${COLUMN}\s+SET\s+NOT\s+NULL\b`), 'set-not-null'],
  [/^ADD\s+(?:CONSTRAINT\s+\S+\s+)?(?:UNIQUE|PRIMARY\s+KEY)\b/, 'add-unique'],
  [/^ADD\s+(?:CONSTRAINT|INDEX|KEY|FOREIGN|CHECK|FULLTEXT|SPATIAL|PARTITION|PERIOD|SYSTEM)\b/, null],
  [/^ADD\s+(?=[\s\S]*\bNOT\s+NULL\b)(?![\s\S]*\b(?:DEFAULT|GENERATED|AUTO_INCREMENT|(?:SMALL|BIG)?SERIAL)\b)/, 'add-not-null'],
];

/** The destructive statements of one SQL text; `file` prefixes each message. Never throws. */
export function destructiveStatements(sql: string, file?: string): Finding[] {
  const created = new Set<string>();
  const findings: Finding[] = [];
  for (const statement of splitStatements(sql)) {
    const code = statement.code.replace(/\s+/g, ' ').toUpperCase();
    for (const rule of rulesOf(code, created)) {
      const where = file === undefined ? `statement ${statement.index}` : `${file} statement ${statement.index}`;
      findings.push({ statement: statement.index, text: statement.text, rule, message: `${where}: ${GUARD_RULES[rule].message}` });
    }
  }
  return findings;
}

/** Rules a statement breaks, once each. A table created earlier in the same file has no readers yet, so changes to it pass. */
function rulesOf(code: string, created: Set<string>): GuardRule[] {
  const table = CREATE_TABLE_RE.exec(code);
  if (table) created.add(tableKey(table[1]!));
  const unique = UNIQUE_INDEX_RE.exec(code);
  if (unique) return created.has(tableKey(unique[1]!)) ? [] : ['add-unique'];
  const alter = ALTER_TABLE_RE.exec(code);
  if (alter) return created.has(tableKey(alter[1]!)) ? [] : alterRules(alter[2]!);
  return STATEMENT_RULES.filter(([re]) => re.test(code)).map(([, rule]) => rule);
}

function alterRules(actions: string): GuardRule[] {
  const rules = new Set<GuardRule>();
  for (const action of splitTopLevel(actions)) {
    const match = ACTION_RULES.find(([re]) => re.test(action));
    if (match?.[1]) rules.add(match[1]);
  }
  return [...rules];
}

/** ALTER TABLE actions are separated by commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** `public."Users"` and `users` are the same table to the guard (case folded, quotes and schema dropped). */
function tableKey(name: string): string {
  const last = name.split('.').pop() ?? name;
  return last.replace(/^["`]|["`]$/g, '').toLowerCase();
}

export interface GuardOptions {
  /** The rollout runs the previous version next to the new one (canary, rolling, blue-green). */
  strategyRunsTwoVersions: boolean;
  /** The operator allowed destructive migrations for this deploy; the caller records that it did. */
  allowDestructive: boolean;
  /** Names already applied: their files are not checked again. */
  applied?: Iterable<string>;
}

/**
 * The findings that block the pending files. Contract-marked files pass, and so
 * does everything when destructive changes are allowed. With one version at a
 * time (an immediate deploy) nothing blocks: no older version runs next to the
 * new schema, and the data is in the proven backup taken just before.
 * (`lossy` marks the rules whose loss only that backup can repair.)
 */
export function guardMigrations(files: readonly MigrationFile[], opts: GuardOptions): { blocked: Finding[] } {
  if (opts.allowDestructive || !opts.strategyRunsTwoVersions) return { blocked: [] };
  const applied = new Set(opts.applied ?? []);
  const blocked = files
    .filter((f) => !f.contract && !applied.has(f.name))
    .flatMap((f) => destructiveStatements(f.up, `${f.name}.up.sql`));
  return { blocked };
}
