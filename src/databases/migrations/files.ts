import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationFile } from '../contract.js';
import { MigrationError } from './errors.js';
import { splitStatements } from './statements.js';

/**
 * A builtin migrations folder: `0001_add_users.up.sql` and an optional
 * `0001_add_users.down.sql` per migration. Files not ending in `.sql`
 * (a README) are ignored; a `.sql` file that does not follow the pattern is an
 * error, since a typo would otherwise silently skip a migration.
 */

export const MIGRATION_NAME_RE = /^\d+_[A-Za-z0-9_]+$/;
/** A line of its own in an up file: the contract phase of an expand/contract change. */
export const CONTRACT_MARKER_RE = /^[ \t]*--[ \t]*shipgate:contract[ \t]*$/m;

export interface MigrationSource {
  /** The file name, e.g. `0001_add_users.up.sql`. */
  fileName: string;
  content: Buffer;
}

/** Thrown with every problem of the folder at once, one per line, each naming its file. */
export class MigrationFolderError extends MigrationError {
  constructor(
    dir: string,
    readonly problems: string[],
  ) {
    super(`invalid migrations folder ${dir}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Reads and checks the folder. */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MigrationError(code === 'ENOENT' ? `migrations folder ${dir} does not exist` : `cannot read migrations folder ${dir} (${code ?? String(err)})`);
  }
  const sql = names.filter(isSqlFile);
  const sources = await Promise.all(sql.map(async (fileName) => ({ fileName, content: await readFile(join(dir, fileName)) })));
  return parseMigrationFiles(dir, sources);
}

/** Pairs up and down files, checks names, numbers and contents; sorted by number. Pure. */
export function parseMigrationFiles(dir: string, sources: readonly MigrationSource[]): MigrationFile[] {
  const problems: string[] = [];
  const ups = new Map<string, Buffer>();
  const downs = new Map<string, Buffer>();
  for (const { fileName, content } of sources.filter((s) => isSqlFile(s.fileName))) {
    const parsed = /^(.*)\.(up|down)\.sql$/.exec(fileName);
    if (!parsed || !MIGRATION_NAME_RE.test(parsed[1]!)) problems.push(`${fileName}: expected a name like 0001_add_users.up.sql or 0001_add_users.down.sql (digits, "_", then letters, digits and "_")`);
    else (parsed[2] === 'up' ? ups : downs).set(parsed[1]!, content);
  }
  for (const name of downs.keys()) if (!ups.has(name)) problems.push(`${name}.down.sql: a down file without its up file ${name}.up.sql`);
  problems.push(...duplicateNumbers([...ups.keys()]), ...emptyUps(ups));
  if (problems.length > 0) throw new MigrationFolderError(dir, problems);
  return [...ups].map(([name, up]) => toMigration(name, up, downs.get(name))).sort((a, b) => compareMigrationNames(a.name, b.name));
}

function isSqlFile(name: string): boolean {
  return name.endsWith('.sql');
}

function duplicateNumbers(names: string[]): string[] {
  const byNumber = new Map<bigint, string[]>();
  for (const name of names) {
    const n = BigInt(name.slice(0, name.indexOf('_')));
    byNumber.set(n, [...(byNumber.get(n) ?? []), name]);
  }
  return [...byNumber.values()]
    .filter((same) => same.length > 1)
    .map((same) => same.sort().map((n) => `${n}.up.sql`))
    .map((files) => `${files.join(' and ')}: the same number ${files[0]!.slice(0, files[0]!.indexOf('_'))}; each migration needs its own`);
}

function emptyUps(ups: Map<string, Buffer>): string[] {
  return [...ups].filter(([, up]) => splitStatements(up.toString('utf8')).length === 0).map(([name]) => `${name}.up.sql: empty (no SQL statement outside comments)`);
}

function toMigration(name: string, up: Buffer, down: Buffer | undefined): MigrationFile {
  const text = up.toString('utf8');
  return {
    name,
    up: text,
    down: down === undefined ? null : down.toString('utf8'),
    sha256: createHash('sha256').update(up).digest('hex'),
    contract: CONTRACT_MARKER_RE.test(text),
  };
}

/** Migration order: by number, then by name (`2_a` before `10_b`, as zero-padded names sort anyway). */
export function compareMigrationNames(a: string, b: string): number {
  const na = BigInt(/^\d+/.exec(a)?.[0] ?? '0');
  const nb = BigInt(/^\d+/.exec(b)?.[0] ?? '0');
  if (na !== nb) return na < nb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
