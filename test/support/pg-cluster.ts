/**
 * A private PostgreSQL server for tests that kill and restart the database
 * (never the shared one on 5432). Runs the machine's PostgreSQL binaries; when
 * the tests run as root, the server runs as the `postgres` user, as PostgreSQL
 * refuses to run as root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { allocatePort } from '../../src/agent/supervisor/ports.js';
import { makeTempDir, type TempDir } from './tmp.js';

export interface PgCluster {
  url: string;
  port: number;
  /** Kills the server as a crash would (SIGKILL of the postmaster, then its backends). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`PostgreSQL server binaries are required by this test (looked in ${root})`);
  return join(root, versions[0]!, 'bin');
}

function asPostgres(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid, gid };
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function startPgCluster(): Promise<PgCluster & { dispose(): Promise<void> }> {
  const bin = binDir();
  const user = asPostgres();
  const tmp: TempDir = await makeTempDir('shipgate-pg-');
  if ('uid' in user) chownSync(tmp.path, user.uid, user.gid);
  const data = join(tmp.path, 'data');
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'], { ...user, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await allocatePort(new Set());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let server: ChildProcess | null = null;
  const cluster = {
    url,
    port,
    async start() {
      server = spawn(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', tmp.path, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], { ...user, stdio: 'ignore' });
      for (let i = 0; i < 300; i++) {
        if (await answers(url)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the private PostgreSQL did not start within 15 s');
    },
    async kill() {
      const s = server;
      if (!s || s.exitCode !== null) return;
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGKILL');
      await exited;
      // The backends notice their postmaster is gone and exit; a new postmaster waits for them.
      for (let i = 0; i < 200 && backendsLeft(data); i++) await new Promise((r) => setTimeout(r, 25));
    },
    async stop() {
      const s = server;
      if (!s || s.exitCode !== null) return;
      const exited = new Promise((r) => s.once('exit', r));
      s.kill('SIGINT');
      await exited;
    },
    async dispose() {
      await cluster.stop().catch(() => undefined);
      await tmp.cleanup();
    },
  };
  await cluster.start();
  return cluster;
}

/** Whether any process still has this data folder as its working directory (postgres backends do). */
function backendsLeft(data: string): boolean {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) === data) return true;
    } catch {
      // gone
    }
  }
  return false;
}
