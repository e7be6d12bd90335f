import { connectEngine, urlSecrets } from '../engine-connect.js';
import { scratchName } from '../scratch.js';
import type { SqlClient } from '../contract.js';
import type { BackupEngine, DumpedSnapshot, EngineOptions } from '../engine.js';
import { scratchRefused } from '../errors.js';
import { runTool } from '../tool-run.js';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PRIVATE_FILE_MODE } from '../../runtime/private-files.js';
import { dropSchemasSql, parsePostgresUrl, pgDumpArgv, pgListArgv, pgRestoreArgv, pgScriptArgv, psqlFileArgv, tablesOfList, withDatabase } from './argv.js';
import { fingerprintDatabase, PG_FINGERPRINT_VERSION, quoteIdent, snapshotFingerprints, USER_SCHEMAS_SQL } from './fingerprints.js';

/**
 * PostgreSQL: one REPEATABLE READ transaction exports its snapshot; pg_dump
 * dumps that snapshot to its stdout (streamed into the archive). Once pg_dump
 * is done, the same transaction, still holding the snapshot, computes the
 * fingerprints, so they see exactly the data the dump holds, whatever was
 * written meanwhile. They run after the dump, not beside it: pg_dump's
 * compression and the server's COPY keep two cores busy, and a scan beside them
 * only slows the dump; after it, they overlap the proof's restore, which leaves
 * a core idle. The snapshot is held for the fingerprints' scan (seconds per GB)
 * beyond the dump. A custom-format dump written to a pipe has no data offsets
 * in its table of contents: pg_restore reads it in order (as the proof and a
 * restore do), but cannot restore it with several jobs (`-j`). The proof
 * restores into `shipgate_verify_<random>` on the same server (or `verifyUrl`),
 * which is dropped afterwards, also on failure.
 */

const connect = (url: string, what: string): Promise<SqlClient> => connectEngine('postgres', 'PostgreSQL', parsePostgresUrl, url, what);
const secretsOf = (url: string): string[] => urlSecrets(url, parsePostgresUrl);

async function dumpSnapshot(opts: EngineOptions, out: Writable): Promise<DumpedSnapshot> {
  const { conn, env } = parsePostgresUrl(opts.url);
  const sql = await connect(opts.url, 'the backup');
  try {
    await sql.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const [{ snapshot }] = (await sql.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot')) as [{ snapshot: string }];
    await runTool({ run: opts.run, argv: pgDumpArgv(conn, snapshot), env, stdout: out, signal: opts.signal, secrets: secretsOf(opts.url), what: `pg_dump of database ${conn.database}` });
  } catch (err) {
    await sql.close();
    throw err;
  }
  // The transaction still holds the dump's snapshot: the fingerprints see exactly what pg_dump wrote.
  const tables = snapshotFingerprints(sql).then(
    async (fingerprints) => {
      await sql.exec('COMMIT');
      return fingerprints;
    },
  ).finally(() => sql.close());
  return { fingerprintVersion: PG_FINGERPRINT_VERSION, tables };
}

async function withScratch<T>(opts: EngineOptions, fn: (url: string) => Promise<T>): Promise<T> {
  const adminUrl = opts.verifyUrl ?? opts.url;
  const name = scratchName();
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
    dump: (out) => dumpSnapshot(opts, out),
    prove: (file, _workDir, version) =>
      withScratch(opts, async (url) => {
        await restoreInto(opts, file, url, false);
        const sql = await connect(url, 'the proof');
        try {
          return await fingerprintDatabase(sql, version);
        } finally {
          await sql.close();
        }
      }),
    restore: (file, targetUrl, workDir) => restoreOver(opts, file, targetUrl, workDir),
    list: async (file) => tablesOfList(await runTool({ run: opts.run, argv: pgListArgv(file), secrets: [], signal: opts.signal, what: 'pg_restore --list' })),
  };
}
