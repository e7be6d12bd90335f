import type { SqlClient, TableFingerprint } from '../contract.js';
import { checkFingerprintVersion } from '../engine.js';

/**
 * Per-table fingerprints computed by the server, inside the caller's transaction
 * (the dump's snapshot): the row count and the sum of a 64-bit hash of each row.
 * A sum needs no sort and no memory per row, so it runs at the speed of a
 * sequential scan, has no size limit, works for tables without a primary key,
 * and does not care in which order a restore wrote the rows. (Sorting every row
 * as text and hashing it took 59 s on a 1 GB pgbench table, four times the
 * pg_dump beside it, and a single string of every row fails past the server's
 * 1 GB value limit.) It is not a cryptographic digest: it proves that a restore
 * reproduced the rows; the archive's sha256 guards the bytes. md5 only turns the
 * one sum into fixed-width hex for the record.
 *
 * Two algorithms; a manifest names the one its fingerprints used, and a proof
 * computes the restored copy's with the same:
 *   1. the hash of the row's text form (`t::text`). Turning every value into text
 *      is most of its cost (3.6 s of CPU on a 1 GB pgbench table, next to a
 *      pg_dump of 4 s), and the text of some types follows session settings.
 *   2. (current) each column hashed on its own with its type's 64-bit hash,
 *      seeded by its position, the row's hash being their XOR: 0.9 s on the same
 *      table. Only types whose hash is a function of the exact value are hashed
 *      directly (integers, text with the "C" collation, timestamps taken as UTC,
 *      dates, uuid, bool); every other type (numeric, floats, json, arrays, enums,
 *      domains...) is hashed by its text form under pinned settings, because its
 *      hash follows equality, which is looser than identity (1.0 = 1.00,
 *      '1 day' = '24 hours', an enum's hash is its OID). char(n) is hashed without
 *      its padding blanks, which are not part of its value. The position comes
 *      from the live columns, so a table whose source has dropped columns matches
 *      its restore.
 * Both use only hash functions of PostgreSQL 11 and later, stable across
 * versions, so a scratch server of another version (verifyUrl) gives the same figures.
 */

export const PG_FINGERPRINT_VERSIONS = [1, 2] as const;
/** The algorithm new backups use. */
export const PG_FINGERPRINT_VERSION = 2;

export const USER_TABLES_SQL = `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2`;

/** Live columns of the user tables, in table order: what algorithm 2 hashes. */
export const USER_COLUMNS_SQL = `SELECT n.nspname AS schema, c.relname AS table, a.attname AS name, a.atttypid::int AS type FROM pg_attribute a
 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY 1, 2, a.attnum`;

export const USER_SCHEMAS_SQL = `SELECT nspname AS name FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`;

/** The settings text forms follow, pinned for algorithm 2 (in the caller's transaction). */
export const PINNED_SETTINGS_SQL = "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL TimeZone = 'UTC'; SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'";

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export interface PgColumn {
  name: string;
  /** The type's OID. */
  type: number;
}

/** Types hashed directly (builtin OIDs, the same on every server): the hash of `c` seeded by `s`. */
const EXACT_HASHES: ReadonlyMap<number, (c: string, s: number) => string> = new Map([
  [16, (c, s) => `hashint4extended(${c}::int4, ${s})`], // bool
  [20, (c, s) => `hashint8extended(${c}, ${s})`], // int8
  [21, (c, s) => `hashint2extended(${c}, ${s})`], // int2
  [23, (c, s) => `hashint4extended(${c}, ${s})`], // int4
  [25, (c, s) => `hashtextextended(${c} COLLATE "C", ${s})`], // text
  [1042, (c, s) => `hashbpcharextended(${c} COLLATE "C", ${s})`], // char(n)
  [1043, (c, s) => `hashtextextended(${c} COLLATE "C", ${s})`], // varchar
  [1082, (c, s) => `timestamp_hash_extended(${c}::timestamp, ${s})`], // date
  [1114, (c, s) => `timestamp_hash_extended(${c}, ${s})`], // timestamp
  [1184, (c, s) => `timestamp_hash_extended(${c} AT TIME ZONE 'UTC', ${s})`], // timestamptz
  [2950, (c, s) => `uuid_hash_extended(${c}, ${s})`], // uuid
]);

/** Algorithm 2's hash of one column at `position` (from 1); a NULL counts as the position itself. */
export function columnHashSql(column: PgColumn, position: number): string {
  const c = `t.${quoteIdent(column.name)}`;
  const exact = EXACT_HASHES.get(column.type);
  return `coalesce(${exact ? exact(c, position) : `hashtextextended(${c}::text COLLATE "C", ${position})`}, ${position})`;
}

/** The fingerprint query of one table: algorithm 1 needs no columns, algorithm 2 hashes `columns`. */
export function fingerprintSql(schema: string, table: string, version: number, columns: readonly PgColumn[] = []): string {
  const row = version === 1 ? 'hashtextextended(t::text, 0)' : columns.length === 0 ? '0::int8' : columns.map((c, i) => columnHashSql(c, i + 1)).join(' # ');
  return `SELECT count(*)::text AS rows, md5(coalesce(sum(${row}), 0)::text) AS checksum FROM ${quoteIdent(schema)}.${quoteIdent(table)} t`;
}

async function columnsByTable(sql: SqlClient): Promise<Map<string, PgColumn[]>> {
  const byTable = new Map<string, PgColumn[]>();
  for (const r of await sql.query<{ schema: string; table: string; name: string; type: number }>(USER_COLUMNS_SQL)) {
    const key = `${r.schema}.${r.table}`;
    byTable.set(key, [...(byTable.get(key) ?? []), { name: r.name, type: Number(r.type) }]);
  }
  return byTable;
}

/**
 * Fingerprints of every user table with algorithm `version`, in the caller's
 * transaction if it has one (algorithm 2 pins its settings there; without one,
 * the session's settings apply to the types hashed as text).
 */
export async function postgresFingerprints(sql: SqlClient, version: number = PG_FINGERPRINT_VERSION): Promise<TableFingerprint[]> {
  checkFingerprintVersion('PostgreSQL', PG_FINGERPRINT_VERSIONS, version);
  const tables = await sql.query<{ schema: string; name: string }>(USER_TABLES_SQL);
  const columns = version === 1 ? new Map<string, PgColumn[]>() : await columnsByTable(sql);
  const out: TableFingerprint[] = [];
  for (const t of tables) {
    const table = `${t.schema}.${t.name}`;
    const [row] = await sql.query<{ rows: string; checksum: string }>(fingerprintSql(t.schema, t.name, version, columns.get(table)));
    out.push({ table, rows: Number(row!.rows), checksum: row!.checksum });
  }
  return out;
}

/**
 * The fingerprints of a backup stay one process: they run after pg_dump, while
 * the proof restores (whose server process takes a core), and parallel workers
 * would only take cores from that restore.
 */
export const SERIAL_SQL = 'SET LOCAL max_parallel_workers_per_gather = 0';

/** Fingerprints of the snapshot of the caller's open transaction (the dump's), with the current algorithm and its pinned settings. */
export async function snapshotFingerprints(sql: SqlClient): Promise<TableFingerprint[]> {
  await sql.exec(`${PINNED_SETTINGS_SQL}; ${SERIAL_SQL}`);
  return postgresFingerprints(sql, PG_FINGERPRINT_VERSION);
}

/** {@link postgresFingerprints} in a read-only snapshot of its own (settings pinned for algorithm 2). */
export async function fingerprintDatabase(sql: SqlClient, version: number = PG_FINGERPRINT_VERSION): Promise<TableFingerprint[]> {
  await sql.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    if (version !== 1) await sql.exec(PINNED_SETTINGS_SQL);
    return await postgresFingerprints(sql, version);
  } finally {
    await sql.exec('COMMIT');
  }
}
