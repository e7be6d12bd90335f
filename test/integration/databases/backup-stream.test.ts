import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseSchema } from '../../../src/config/schema/databases.js';
import { createBackup, verifyBackup } from '../../../src/databases/backup.js';
import { findBackup, saveManifest } from '../../../src/databases/catalog.js';
import { openSql } from '../../../src/databases/connection.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { processRunner, type Runner } from '../../../src/runtime/process.js';
import { createStorage } from '../../../src/storage/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/pg.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';

/* The one-pass backup on real PostgreSQL and the real local storage: pg_dump's stdout is the archive's source. */

const KEY = 'a backup passphrase of at least thirty-two characters';
const clock = new FakeClock('2026-12-03T11:00:00Z');

let src: TestDatabase;
let dir: TempDir;
beforeEach(async () => {
  src = await createTestDatabase();
  dir = await makeTempDir();
  // About 14 MB of hard-to-compress text: more than the pipe and socket buffers hold, so a pg_dump held back by its reader is mid-dump.
  await sql(`CREATE TABLE big AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS v FROM generate_series(1, 200000) g;
    CREATE TABLE later (id int PRIMARY KEY); INSERT INTO later VALUES (1), (2)`);
});
afterEach(async () => {
  await Promise.all([src.drop(), dir.cleanup()]);
});

async function sql(text: string): Promise<void> {
  const c = await openSql('postgres', src.url);
  try {
    await c.exec(text);
  } finally {
    await c.close();
  }
}

const config = (backup: Record<string, unknown> = {}) => DatabaseSchema.parse({ type: 'postgres', url: src.url, backup: { storage: { type: 'local', path: 'backups' }, ...backup } });
const storage = () => createStorage({ type: 'local', path: 'backups' }, dir.path);
const backup = (db = config(), run: Runner = processRunner) => createBackup({ db, name: 'main', storage: storage(), key: 'app/prod/main', root: dir.path, clock, run });

async function filesUnder(path: string): Promise<string[]> {
  return (await readdir(path, { recursive: true, withFileTypes: true }).catch(() => [])).filter((e) => e.isFile()).map((e) => e.name);
}

/** Ends pg_dump's own server session (a real failure: pg_dump exits 1 halfway through its output). */
async function terminateDumpSession(): Promise<number> {
  const c = await openSql('postgres', src.url);
  try {
    const rows = await c.query<{ ok: boolean }>("SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pg_dump'", [src.name]);
    return rows.filter((r) => r.ok).length;
  } finally {
    await c.close();
  }
}

describe('one-pass backups (pg_dump streamed into storage)', () => {
  it('a pg_dump that fails halfway fails the backup with its own error, and leaves nothing in storage', async () => {
    let bytes = 0;
    let ended = 0;
    // The first bytes of the dump are held until pg_dump's session is ended, so it fails mid-stream, after the archive began.
    const failing: Runner = async (req) => {
      if (req.argv[0] !== 'pg_dump' || !req.stdout) return processRunner(req);
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          bytes += chunk.length;
          if (ended > 0) return done(null, chunk);
          terminateDumpSession().then((n) => ((ended = n), done(null, chunk)), done);
        },
      });
      const flowing = pipeline(tap, req.stdout, { end: false }).catch(() => undefined);
      const result = await processRunner({ ...req, stdout: tap });
      tap.end();
      await flowing;
      return result;
    };
    const err = await backup(config({ verify: 'none', encryption: { key: KEY } }), failing).catch((e: Error) => e);
    expect(ended).toBe(1);
    expect(bytes).toBeGreaterThan(0);
    expect(String(err)).toMatch(new RegExp(`pg_dump of database ${src.name} failed \\(exited with code 1\\): .*(terminating connection due to administrator command|server closed the connection)`));
    expect(await filesUnder(join(dir.path, 'backups'))).toEqual([]);
  });

  it('the stored archive round-trips: the sha256 and size of the stored bytes are the manifest\'s, and a proof from the manifest holds', async () => {
    const store = storage();
    const db = config({ verify: 'restore', encryption: { key: KEY } });
    const created = await backup(db);
    await saveManifest(store, created, { kind: 'manual', deploymentId: null, type: 'postgres' });
    const manifest = await findBackup(store, 'app/prod/main', created.id);
    const stored = await readFile(join(dir.path, 'backups', ...manifest.key.split('/')));
    expect({ sha256: createHash('sha256').update(stored).digest('hex'), size: stored.length }).toEqual({ sha256: manifest.sha256, size: manifest.size });
    expect(manifest).toMatchObject({ fingerprintVersion: 2, verify: { ok: true, tables: 2, rows: 200_002 } });
    const proof = await verifyBackup({ db, storage: store, backup: manifest, fingerprints: manifest.fingerprints, fingerprintVersion: manifest.fingerprintVersion, method: 'restore', root: dir.path, clock });
    expect(proof).toMatchObject({ ok: true, tables: 2, rows: 200_002 });
  });
});
