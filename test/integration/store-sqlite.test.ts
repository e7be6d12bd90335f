/** What only the SQLite driver does: pragmas, file placement, in-memory stores, in-process write serialization. */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../../src/store/driver.js';
import { LATEST_SCHEMA_VERSION, openStore } from '../../src/store/index.js';
import { openSqliteDriver } from '../../src/store/sqlite-driver.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

let dir: TempDir;
const drivers: SqlDriver[] = [];

function driverAt(path: string): SqlDriver {
  const d = openSqliteDriver(path);
  drivers.push(d);
  return d;
}

beforeEach(async () => {
  dir = await makeTempDir('shipgate-sqlite-');
});

afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
  await dir.cleanup();
});

async function pragma(d: SqlDriver, name: string): Promise<unknown> {
  return Object.values((await d.all(`PRAGMA ${name}`))[0] ?? {})[0];
}

describe('SQLite store', () => {
  it('uses WAL, a 10 s busy timeout, synchronous=FULL and foreign keys', async () => {
    const d = driverAt(join(dir.path, 'a.db'));
    expect(await pragma(d, 'journal_mode')).toBe('wal');
    expect(await pragma(d, 'busy_timeout')).toBe(10_000);
    expect(await pragma(d, 'synchronous')).toBe(2);
    expect(await pragma(d, 'foreign_keys')).toBe(1);
  });

  it('creates the file and its parent directories, relative to the root', async () => {
    const store = await openStore('sqlite:deep/er/state.db', { root: dir.path });
    await store.close();
    expect(existsSync(join(dir.path, 'deep/er/state.db'))).toBe(true);
    const abs = join(dir.path, 'abs/state.db');
    await (await openStore(`sqlite:${abs}`, { root: '/nonexistent' })).close();
    expect(existsSync(abs)).toBe(true);
  });

  it('sqlite::memory: gives a private, working store', async () => {
    const [a, b] = await Promise.all([openStore('sqlite::memory:', { root: dir.path }), openStore('sqlite::memory:', { root: dir.path })]);
    try {
      expect(await a.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      const now = new Date(0).toISOString();
      const lock = { app: 'api', environment: 'prod', holder: 'x', pid: 1, host: 'h', processStart: null, acquiredAt: now, heartbeatAt: now };
      expect(await a.tryAcquireLock({ ...lock, deploymentId: 'dep_a' })).toEqual({ acquired: true });
      expect(await b.tryAcquireLock({ ...lock, deploymentId: 'dep_b' })).toEqual({ acquired: true });
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a write from another connection of this process waits for an open transaction instead of blocking', async () => {
    const path = join(dir.path, 'gate.db');
    const a = driverAt(path);
    const b = driverAt(path);
    await a.exec('CREATE TABLE t (n INTEGER)');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const tx = a.transaction(async (t) => {
      await t.run('INSERT INTO t (n) VALUES (1)');
      await held;
      order.push('tx');
    });
    const write = b.run('INSERT INTO t (n) VALUES (2)').then(() => order.push('write'));
    await Promise.resolve();
    release();
    await Promise.all([tx, write]);
    expect(order).toEqual(['tx', 'write']);
    expect(await b.all('SELECT n FROM t ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('a transaction that need not be durable commits unsynced, then the connection is back to synchronous=FULL (also when it throws)', async () => {
    const d = driverAt(join(dir.path, 'relaxed.db'));
    await d.exec('CREATE TABLE t (n INTEGER)');
    const seen = await d.transaction(async (t) => {
      await t.run('INSERT INTO t (n) VALUES (1)');
      return Object.values((await t.all('PRAGMA synchronous'))[0] ?? {})[0];
    }, { durable: false });
    expect(seen).toBe(0);
    expect(await pragma(d, 'synchronous')).toBe(2);
    await expect(d.transaction(async () => Promise.reject(new Error('nope')), { durable: false })).rejects.toThrow('nope');
    expect(await pragma(d, 'synchronous')).toBe(2);
    expect(await d.all('SELECT n FROM t')).toEqual([{ n: 1 }]);
  });

  it('a transaction that throws rolls back', async () => {
    const d = driverAt(join(dir.path, 'rb.db'));
    await d.exec('CREATE TABLE t (n INTEGER)');
    await expect(
      d.transaction(async (t) => {
        await t.run('INSERT INTO t (n) VALUES (1)');
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    expect(await d.all('SELECT n FROM t')).toEqual([]);
    await d.run('INSERT INTO t (n) VALUES (3)');
    expect(await d.all('SELECT n FROM t')).toEqual([{ n: 3 }]);
  });
  it('the database, its -wal and -shm are 0600 and a new folder 0700 under umask 000; an older looser database is tightened, its folder left alone', async () => {
    const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
    const path = join(dir.path, 'new', 'state.db');
    const old = process.umask(0);
    try {
      const d = driverAt(path);
      await d.run('CREATE TABLE t (x INTEGER)');
      await d.run('INSERT INTO t VALUES (1)');
      expect([mode(join(dir.path, 'new')), mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual(['700', '600', '600', '600']);
      const mine = join(dir.path, 'mine');
      mkdirSync(mine, { mode: 0o755 });
      writeFileSync(join(mine, 'state.db'), '', { mode: 0o644 });
      await driverAt(join(mine, 'state.db')).run('CREATE TABLE t (x INTEGER)');
      expect([mode(mine), mode(join(mine, 'state.db'))]).toEqual(['755', '600']);
    } finally {
      process.umask(old);
    }
  });
});
