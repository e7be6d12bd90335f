import { createHash } from 'node:crypto';
import type { TableFingerprint } from './contract.js';

/**
 * Table fingerprints computed in Node (SQLite, MySQL): every row becomes one
 * canonical line, the lines are sorted bytewise (so the server's collation and
 * the order rows come back in do not matter, and tables without a primary key
 * work), and the sha256 covers them in that order.
 */

/** One row as text: JSON, with bytes as `{"$hex":...}` and big integers as strings, so NULL, "" and 0x00 stay apart. */
export function canonicalRow(values: readonly unknown[]): string {
  return JSON.stringify(values.map(canonicalValue));
}

function canonicalValue(v: unknown): unknown {
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return { $hex: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  return v === undefined ? null : v;
}

/** The fingerprint of a table from its canonical rows (any order). */
export function fingerprintOf(table: string, lines: string[]): TableFingerprint {
  lines.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const hash = createHash('sha256');
  for (const line of lines) hash.update(line).update('\n');
  return { table, rows: lines.length, checksum: hash.digest('hex') };
}

/**
 * Null when the restored copy holds the same tables with the same rows as the
 * source; otherwise what differs first (by table name), in one sentence.
 */
export function firstDifference(source: readonly TableFingerprint[], restored: readonly TableFingerprint[]): string | null {
  const got = new Map(restored.map((t) => [t.table, t]));
  for (const want of [...source].sort((a, b) => a.table.localeCompare(b.table))) {
    const have = got.get(want.table);
    if (!have) return `table ${want.table} is missing from the restored copy`;
    if (have.rows !== want.rows) return `table ${want.table} has ${have.rows} rows in the restored copy and ${want.rows} in the source`;
    if (have.checksum !== want.checksum) return `table ${want.table} has the same number of rows (${want.rows}) but different contents (checksum ${have.checksum.slice(0, 12)}… restored, ${want.checksum.slice(0, 12)}… in the source)`;
  }
  const names = new Set(source.map((t) => t.table));
  const extra = restored.map((t) => t.table).filter((t) => !names.has(t)).sort()[0];
  return extra === undefined ? null : `table ${extra} is in the restored copy but not in the source`;
}

/** Sum of rows, for the proof's figures. */
export function totalRows(tables: readonly TableFingerprint[]): number {
  return tables.reduce((n, t) => n + t.rows, 0);
}
