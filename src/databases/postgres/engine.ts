import { randomBytes } from 'node:crypto';
import { openSql } from '../connection.js';
import type { SqlClient, TableFingerprint } from '../contract.js';
import type { BackupEngine, EngineOptions } from '../engine.js';
import { BackupError, scratchRefused } from '../errors.js';
import { runTool } from '../tool-run.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_FILE_MODE } from '../../runtime/private-files.js';
import { dropSchemasSql, parsePostgresUrl, pgDumpArgv, pgListArgv, pgRestoreArgv, pgScriptArgv, psqlFileArgv, tablesOfList, withDatabase } from './argv.js';
import { fingerprintDatabase, postgresFingerprints, quoteIdent, USER_SCHEMAS_SQL } from './fingerprints.js';

/**
 * PostgreSQL: one REPEATABLE READ transaction exports its snapshot; pg_dump
 * dumps that snapshot while the same transaction computes the fingerprints, so
 * the dump and the fingerprints see exactly the same data, whatever is written
 * meanwhile. The proof restores into `shipgate_verify_<random>` on the same
 * server (or `verifyUrl`), which is dropped afterwards, also on failure.
 */

export const SCRATCH_PREFIX = 'shipgate_verify_';

async function connect(url: string, what: string): Promise<SqlClient> {
  try {
    return await openSql('postgres', url);
  } catch (err) {
    const { conn } = parsePostgresUrl(url);
    throw new BackupError(`could not connect to PostgreSQL database ${conn.database} at ${conn.host}:${conn.port} for ${what}: ${(err as Error).message}`);
  }
}

function secretsOf(url: string): string[] {
  const p = parsePostgresUrl(url).password;
  return p === null ? [url] : [url, p];
}

async function dumpSnapshot(opts: EngineOptions, file: string): Promise<TableFingerprint[]> {
  const { conn, env } = parsePostgresUrl(opts.url);
  const sql = await connect(opts.url, 'the backup');
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  try {
    await sql.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const [{ snapshot }] = (await sql.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot')) as [{ snapshot: string }];
    const dumping = runTool({ run: opts.run, argv: pgDumpArgv(conn, snapshot, file), env, signal, secrets: secretsOf(opts.url), what: `pg_dump of database ${conn.database}` });
    // Awaited below; until then a failure must not count as unhandled.
    dumping.catch(() => undefined);
    const fingerprints = await postgresFingerprints(sql).catch(async (err: unknown) => {
      stop.abort();
      await dumping.catch(() => undefined);
      throw err;
    });
    await dumping;
    await sql.exec('COMMIT');
    return fingerprints;
  } finally {
    await sql.close();
  }
}

async function withScratch<T>(opts: EngineOptions, fn: (url: string) => Promise<T>): Promise<T> {
  const adminUrl = opts.verifyUrl ?? opts.url;
  const name = `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
  const admin = await connect(adminUrl, 'the scratch database of the proof');
  try {
    await admin.exec(`CREATE DATABASE ${quoteIdent(name)}`).catch((err: unknown) => {
      const { host, port } = parsePostgresUrl(adminUrl).conn;
      throw scratchRefused(name, `${host}:${port}`, err);
    });
    try {
      return await fn(withDatabase(adminUrl, name));
    } finally {
      await admin.exec(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    }
  } finally {
    await admin.close();
  }
}

async function restoreInto(opts: EngineOptions, file: string, url: string, clean: boolean): Promise<void> {
  const { conn, env } = parsePostgresUrl(url);
  await runTool({ run: opts.run, argv: pgRestoreArgv(conn, file, { clean }), env, signal: opts.signal, secrets: secretsOf(url), what: `pg_restore into database ${conn.database}` });
}

/** User schemas of the database at `url` (what a restore over it drops first). */
async function userSchemas(url: string): Promise<string[]> {
  const sql = await connect(url, 'the restore');
  try {
    return (await sql.query<{ name: string }>(USER_SCHEMAS_SQL)).map((r) => r.name);
  } finally {
    await sql.close();
  }
}

/**
 * A restore over a database: its user schemas are dropped and the dump restored in
 * ONE transaction (psql --single-transaction), so the database ends exactly as the
 * backup, or, if anything fails, exactly as it was.
 */
async function restoreOver(opts: EngineOptions, file: string, url: string, workDir: string): Promise<void> {
  const { conn, env } = parsePostgresUrl(url);
  const body = join(workDir, 'restore-body.sql');
  const script = join(workDir, 'restore.sql');
  await runTool({ run: opts.run, argv: pgScriptArgv(file, body), secrets: [], signal: opts.signal, what: 'pg_restore to a script' });
  await writeFile(script, dropSchemasSql(await userSchemas(url)), { mode: PRIVATE_FILE_MODE });
  await pipeline(createReadStream(body), createWriteStream(script, { flags: 'a' }));
  await rm(body, { force: true });
  await runTool({ run: opts.run, argv: psqlFileArgv(conn, script), env, signal: opts.signal, secrets: secretsOf(url), what: `restore (psql) into database ${conn.database}` });
}

export function createPostgresEngine(opts: EngineOptions): BackupEngine {
  parsePostgresUrl(opts.url);
  return {
    extension: 'pgdump',
    dump: (file) => dumpSnapshot(opts, file),
    prove: (file) =>
      withScratch(opts, async (url) => {
        await restoreInto(opts, file, url, false);
        const sql = await connect(url, 'the proof');
        try {
          return await fingerprintDatabase(sql);
        } finally {
          await sql.close();
        }
      }),
    restore: (file, targetUrl, workDir) => restoreOver(opts, file, targetUrl, workDir),
    list: async (file) => tablesOfList(await runTool({ run: opts.run, argv: pgListArgv(file), secrets: [], signal: opts.signal, what: 'pg_restore --list' })),
  };
}
