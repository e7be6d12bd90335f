import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { connectEngine, urlSecrets } from '../engine-connect.js';
import { scratchName } from '../scratch.js';
import type { SqlClient, TableFingerprint } from '../contract.js';
import { checkFingerprintVersion, LEGACY_FINGERPRINT_VERSION, type BackupEngine, type DumpedSnapshot, type EngineOptions } from '../engine.js';
import { scratchRefused } from '../errors.js';
import { runTool } from '../tool-run.js';
import { copyWithoutDefiners } from './definers.js';
import { firstExecutable, mysqlClientArgv, mysqlDumpArgv, parseMysqlUrl, tablesOfDump } from './argv.js';
import { mysqlFingerprints, quoteMysqlIdent } from './fingerprints.js';

/**
 * MySQL/MariaDB. mariadb-dump takes its own snapshot (--single-transaction), and
 * cannot be handed one, so the fingerprints come from a
 * `START TRANSACTION WITH CONSISTENT SNAPSHOT` taken right before the dump starts.
 * A write that lands between the two snapshots makes them differ: the proof then
 * fails and the backup is refused (the safe side); run it again, or take it while
 * writes are paused.
 */

const connect = (url: string, what: string): Promise<SqlClient> => connectEngine('mysql', 'MySQL', parseMysqlUrl, url, what);
const secretsOf = (url: string): string[] => urlSecrets(url, parseMysqlUrl);

async function dumpSnapshot(opts: EngineOptions, out: Writable): Promise<DumpedSnapshot> {
  const { conn, env } = parseMysqlUrl(opts.url);
  const sql = await connect(opts.url, 'the backup');
  try {
    await sql.exec('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const bin = firstExecutable(['mariadb-dump', 'mysqldump']);
    const dumping = runTool({ run: opts.run, argv: mysqlDumpArgv(bin, conn), env, stdout: out, signal: opts.signal, secrets: secretsOf(opts.url), what: `${bin} of database ${conn.database}` });
    const [fingerprints] = await Promise.all([mysqlFingerprints(sql), dumping]);
    await sql.exec('COMMIT');
    return { fingerprintVersion: LEGACY_FINGERPRINT_VERSION, tables: Promise.resolve(fingerprints) };
  } finally {
    await sql.close();
  }
}

async function withScratch<T>(opts: EngineOptions, fn: (url: string) => Promise<T>): Promise<T> {
  const adminUrl = opts.verifyUrl ?? opts.url;
  const name = scratchName();
  const admin = await connect(adminUrl, 'the scratch database of the proof');
  try {
    await admin.exec(`CREATE DATABASE ${quoteMysqlIdent(name)} CHARACTER SET utf8mb4`).catch((err: unknown) => {
      const { host, port } = parseMysqlUrl(adminUrl).conn;
      throw scratchRefused(name, `${host}:${port}`, err);
    });
    try {
      const u = new URL(adminUrl);
      u.pathname = `/${name}`;
      return await fn(u.toString());
    } finally {
      await admin.exec(`DROP DATABASE IF EXISTS ${quoteMysqlIdent(name)}`);
    }
  } finally {
    await admin.close();
  }
}

/**
 * Before a restore over a database: every table and view goes, so the database
 * becomes exactly the backup (a dump drops only the tables it holds: a table a
 * migration created would stay). MySQL's DDL is not transactional, which is why
 * every restore over a database is preceded by a safety backup.
 */
export function dropAllSql(tables: readonly { name: string; type: string }[]): string {
  const views = tables.filter((t) => t.type === 'VIEW').map((t) => `DROP VIEW IF EXISTS ${quoteMysqlIdent(t.name)};`);
  const bases = tables.filter((t) => t.type !== 'VIEW').map((t) => `DROP TABLE IF EXISTS ${quoteMysqlIdent(t.name)};`);
  return ['SET FOREIGN_KEY_CHECKS=0;', ...views, ...bases, 'SET FOREIGN_KEY_CHECKS=1;', ''].join('\n');
}

async function tablesAt(url: string): Promise<{ name: string; type: string }[]> {
  const sql = await connect(url, 'the restore');
  try {
    return await sql.query<{ name: string; type: string }>('SELECT table_name AS name, table_type AS type FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name');
  } finally {
    await sql.close();
  }
}

async function restoreInto(opts: EngineOptions, file: string, url: string, over = false): Promise<void> {
  const { conn, env } = parseMysqlUrl(url);
  const bin = firstExecutable(['mariadb', 'mysql']);
  const owned = `${file}.owned`;
  await copyWithoutDefiners(file, owned, over ? dropAllSql(await tablesAt(url)) : '');
  await runTool({ run: opts.run, argv: mysqlClientArgv(bin, conn), env, stdinFile: owned, signal: opts.signal, secrets: secretsOf(url), what: `${bin} restore into database ${conn.database}` });
}

async function fingerprintsAt(url: string): Promise<TableFingerprint[]> {
  const sql = await connect(url, 'the proof');
  try {
    return await mysqlFingerprints(sql);
  } finally {
    await sql.close();
  }
}

/** The dump's `CREATE TABLE` lines, read as a stream (a dump can be larger than memory). */
async function createTableLines(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
    if (line.startsWith('CREATE TABLE')) out.push(line);
  }
  return out;
}

export function createMysqlEngine(opts: EngineOptions): BackupEngine {
  parseMysqlUrl(opts.url);
  return {
    extension: 'sql',
    dump: (out) => dumpSnapshot(opts, out),
    prove: (file, _workDir, version) => {
      checkFingerprintVersion('MySQL', [LEGACY_FINGERPRINT_VERSION], version);
      return withScratch(opts, async (url) => {
        await restoreInto(opts, file, url);
        return fingerprintsAt(url);
      });
    },
    restore: (file, targetUrl) => restoreInto(opts, file, targetUrl, true),
    list: async (file) => tablesOfDump(await createTableLines(file)),
  };
}
