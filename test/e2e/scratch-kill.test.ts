/**
 * A run killed mid-proof leaves its scratch database behind; the next
 * `shipgate backup verify` drops it, and never the scratch database of a proof
 * still under way (real PostgreSQL, real SIGKILL).
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScratchName } from '../../src/databases/scratch.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/pg.js';
import { json, makeProject, type Project } from '../support/project.js';

let p: Project | null = null;
let db: TestDatabase | null = null;
afterEach(async () => {
  await p?.cleanup();
  await db?.drop();
  p = db = null;
});

async function query<T>(url: string, text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

const scratchNames = async (): Promise<string[]> => (await query<{ datname: string }>(ADMIN_URL, "SELECT datname FROM pg_database WHERE datname LIKE 'shipgate\\_verify\\_%'")).map((r) => r.datname);

/** Resolves with the scratch database of process `pid` once it exists (polled: the server is shared with other runs). */
async function scratchOf(pid: number): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    const mine = (await scratchNames()).find((n) => parseScratchName(n)?.pid === pid);
    if (mine) return mine;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no scratch database of process ${pid} appeared`);
}

/** A project whose one database has a table big enough for its proof to take a while (time to kill it mid-proof). */
async function bigDatabaseProject(): Promise<Project> {
  db = await createTestDatabase();
  await query(db.url, 'CREATE TABLE big AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 300000) g');
  return makeProject(`app: scratch
provider: { type: command, deploy: ["true"] }
databases:
  main: { type: postgres, url: "${db.url}", backup: { verify: restore, storage: { type: local, path: backups } } }
`, {});
}

describe('stale scratch databases after a killed proof (PostgreSQL)', () => {
  it('backup verify drops the one a killed run left, and keeps a live proof\'s, which then succeeds', { timeout: 120_000 }, async () => {
    p = await bigDatabaseProject();
    const first = json<{ id: string }[]>(await p.run(['backup', 'create', '--json']))[0]!.id;

    const killed = p.spawn(['backup', 'create']);
    const stale = await scratchOf(killed.child.pid!);
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');
    expect(await scratchNames()).toContain(stale);

    const live = p.spawn(['backup', 'create']);
    const running = await scratchOf(live.child.pid!);
    // Held still (SIGSTOP: it still runs, it just waits) so that its proof is surely under way while the sweep looks;
    // on a loaded machine it could otherwise finish, and drop its own scratch database, first.
    live.child.kill('SIGSTOP');
    const verify = await p.run(['backup', 'verify', first, '--method', 'list', '--json']).finally(() => live.child.kill('SIGCONT'));
    expect(verify.code, verify.stderr).toBe(0);
    const dropped = json<{ stale_scratch_dropped: string[] }>(verify).stale_scratch_dropped;
    // Gone, by this sweep or by another run's: the server is shared, and every sweep drops each dead proof's scratch database of this host.
    expect(await scratchNames()).not.toContain(stale);
    expect(dropped).not.toContain(running);
    expect(await scratchNames()).toContain(running);
    // Had its scratch database been dropped, the live proof would have failed.
    const liveDone = await live.done;
    expect(liveDone.code, liveDone.stderr).toBe(0);
    expect(liveDone.stdout).toMatch(/proven by restore: 1 tables, 300000 rows equal/);
  });

  it('recovery of a deploy killed mid-proof drops the scratch database it left', { timeout: 120_000 }, async () => {
    p = await bigDatabaseProject();
    const killed = p.spawn(['deploy', 'v1.0.0']);
    const stale = await scratchOf(killed.child.pid!);
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(await scratchNames()).toContain(stale);
    const resume = await p.run(['resume']);
    expect(resume.stdout).toMatch(/recovered \S+ \(v1\.0\.0\): \w+/);
    expect(await scratchNames()).not.toContain(stale);
  });
});
