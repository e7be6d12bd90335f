/**
 * The shared Store suite: every test runs against SQLite (a temp file) and
 * PostgreSQL (a database of its own). Both implementations must behave the same.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFound } from '../../src/errors.js';
import type { DeploymentStatus, IncidentRow, LockRow, NewDeployment, ReleaseRow, Store } from '../../src/store/contract.js';
import { listDeploymentsSql } from '../../src/store/deployments.js';
import type { SqlDriver } from '../../src/store/driver.js';
import { LATEST_SCHEMA_VERSION, openStore } from '../../src/store/index.js';
import { SCHEMA_TABLE } from '../../src/store/migrate.js';
import { MIGRATIONS, type Migration } from '../../src/store/migrations.js';
import { openDriver } from '../../src/store/open-driver.js';
import { SqlStore } from '../../src/store/sql-store.js';
import { parseStoreUrl } from '../../src/store/url.js';
import { createTestDatabase } from '../support/pg.js';
import { makeTempDir } from '../support/tmp.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

interface Target {
  url: string;
  root: string;
  dispose(): Promise<void>;
}

async function sqliteTarget(): Promise<Target> {
  const dir = await makeTempDir('shipgate-store-');
  // Relative, in a directory that does not exist yet: openStore resolves and creates it.
  return { url: 'sqlite:state/shipgate.db', root: dir.path, dispose: dir.cleanup };
}

async function postgresTarget(): Promise<Target> {
  const db = await createTestDatabase();
  return { url: db.url, root: repoRoot, dispose: db.drop };
}

// ---- fixtures ---------------------------------------------------------------

const BASE_MS = Date.UTC(2026, 10, 22, 17, 30, 0);

function iso(i: number): string {
  return new Date(BASE_MS + i * 1000).toISOString();
}

/** Ids sort by time like real ones: `dep_20261122T173000Z_0000`. */
function depId(i: number): string {
  const stamp = iso(i).replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `dep_${stamp}_${(i % 1_679_616).toString(36).padStart(4, '0')}`;
}

function dep(i: number, over: Partial<NewDeployment> = {}): NewDeployment {
  return {
    id: depId(i),
    app: 'api',
    environment: 'production',
    kind: 'deploy',
    version: `1.0.${i}`,
    previousVersion: null,
    status: 'succeeded',
    triggeredBy: 'alice',
    reason: null,
    gitSha: null,
    gitRef: null,
    rollbackOf: null,
    startedAt: iso(i),
    meta: {},
    ...over,
  };
}

function lock(deploymentId: string, over: Partial<LockRow> = {}): LockRow {
  return {
    app: 'api',
    environment: 'production',
    deploymentId,
    holder: 'alice',
    pid: 4242,
    host: 'build-1',
    processStart: 'boot:123',
    acquiredAt: iso(0),
    heartbeatAt: iso(0),
    ...over,
  };
}

function release(version: string, at: number, over: Partial<ReleaseRow> = {}): ReleaseRow {
  return {
    app: 'api',
    version,
    createdAt: iso(at),
    dir: `/srv/api/.shipgate/releases/${version}`,
    manifestSha256: 'ab'.repeat(32),
    start: { command: ['node', 'server.js'], env: { PORT: '8080' } },
    artifacts: ['server.js', 'package.json'],
    ...over,
  };
}

async function createAll(store: Store, rows: NewDeployment[]): Promise<void> {
  for (const row of rows) await store.createDeployment(row);
}

const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id);

async function schemaRows(target: Target): Promise<number> {
  const driver = await openDriver(parseStoreUrl(target.url, target.root));
  try {
    return Number((await driver.all(`SELECT COUNT(*) AS n FROM ${SCHEMA_TABLE}`))[0]?.n);
  } finally {
    await driver.close();
  }
}

async function explain(driver: SqlDriver, sql: string, params: unknown[]): Promise<string> {
  const sqlite = driver.dialect.name === 'sqlite';
  const rows = await driver.all(`${sqlite ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'} ${sql}`, params as never);
  return rows.map((r) => String(sqlite ? r.detail : r['QUERY PLAN'])).join('\n');
}

/** A separate OS process that opens the store from source and races for the lock. */
const CHILD = `
const [url, root, deploymentId] = process.argv.slice(1);
const { openStore } = await import(process.env.STORE_MODULE);
const store = await openStore(url, { root });
const now = new Date().toISOString();
const res = await store.tryAcquireLock({ app: 'api', environment: 'production', deploymentId, holder: 'child', pid: process.pid,
  host: 'h', processStart: null, acquiredAt: now, heartbeatAt: now });
const version = await store.schemaVersion();
await store.close();
console.log(JSON.stringify({ acquired: res.acquired, version, applied: store.migration.applied }));
`;

async function runChild(target: Target, deploymentId: string): Promise<{ acquired: boolean; version: number; applied: number[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, target.url, target.root, deploymentId], {
    cwd: repoRoot,
    env: { ...process.env, STORE_MODULE: pathToFileURL(resolve(repoRoot, 'src/store/index.ts')).href },
    timeout: 20_000,
  });
  return JSON.parse(stdout.trim()) as { acquired: boolean; version: number; applied: number[] };
}

// ---- the suite ----------------------------------------------------------------

function describeStoreSuite(name: string, makeTarget: () => Promise<Target>): void {
  describe(`Store on ${name}`, () => {
    let target: Target;
    let store: Store;
    let opened: Store[];

    async function open(t: Target = target): Promise<Store> {
      const s = await openStore(t.url, { root: t.root });
      opened.push(s);
      return s;
    }

    beforeEach(async () => {
      opened = [];
      target = await makeTarget();
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(opened.map((s) => s.close()));
      await target.dispose();
    });

    describe('schema', () => {
      it('creates the newest schema on first open, with one version row', async () => {
        expect(store.dialect).toBe(name);
        expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        expect((store as SqlStore).migration).toEqual({ from: 0, to: LATEST_SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.version) });
        expect(await schemaRows(target)).toBe(1);
      });

      it('reopening keeps the data and runs no migration', async () => {
        await store.createDeployment(dep(1));
        await store.close();
        const again = await open();
        expect((again as SqlStore).migration).toEqual({ from: LATEST_SCHEMA_VERSION, to: LATEST_SCHEMA_VERSION, applied: [] });
        expect(await again.getDeployment(depId(1))).toMatchObject({ id: depId(1), version: '1.0.1' });
        expect(await schemaRows(target)).toBe(1);
      });

      it('applies a migration appended later exactly once, and an older shipgate refuses the newer schema', async () => {
        await store.createDeployment(dep(1));
        const next: Migration = { version: LATEST_SCHEMA_VERSION + 1, description: 'test', up: () => ['CREATE TABLE test_extra (x INTEGER)'] };
        const migrations = [...MIGRATIONS, next];
        const upgraded = await SqlStore.open(await openDriver(parseStoreUrl(target.url, target.root)), migrations);
        opened.push(upgraded);
        expect(upgraded.migration).toEqual({ from: LATEST_SCHEMA_VERSION, to: next.version, applied: [next.version] });
        expect(await upgraded.getDeployment(depId(1))).toBeDefined();
        const again = await SqlStore.open(await openDriver(parseStoreUrl(target.url, target.root)), migrations);
        opened.push(again);
        expect(again.migration.applied).toEqual([]);
        await expect(openStore(target.url, { root: target.root })).rejects.toThrow(/newer than this shipgate knows/);
      });

      it('a failing migration rolls back entirely, DDL included', async () => {
        const bad: Migration = { version: LATEST_SCHEMA_VERSION + 1, description: 'bad', up: () => ['CREATE TABLE test_half (x INTEGER)', 'NOT SQL AT ALL'] };
        const driver = await openDriver(parseStoreUrl(target.url, target.root));
        await expect(SqlStore.open(driver, [...MIGRATIONS, bad])).rejects.toThrow();
        expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        const check = await openDriver(parseStoreUrl(target.url, target.root));
        try {
          expect(await check.all(check.dialect.tableExistsSql, ['test_half'])).toEqual([]);
        } finally {
          await check.close();
        }
      });
    });

    describe('deployments', () => {
      it('round-trips every field, nulls and JSON meta included', async () => {
        const full = dep(1, {
          kind: 'rollback',
          previousVersion: '1.0.0',
          status: 'running',
          reason: 'hotfix – ünïcödé',
          gitSha: 'a'.repeat(40),
          gitRef: 'refs/tags/v1.0.1',
          rollbackOf: depId(0),
          finishedAt: iso(9),
          currentStage: 'deploy',
          error: 'boom',
          meta: { emergency: true, force: false, n: 1.5, nested: { list: [1, 'two', null] }, empty: {} },
        });
        await store.createDeployment(full);
        await store.createDeployment(dep(2));
        expect(await store.getDeployment(full.id)).toEqual(full);
        expect(await store.getDeployment(depId(2))).toEqual({ ...dep(2), finishedAt: null, currentStage: null, error: null });
        expect(await store.getDeployment('dep_missing')).toBeUndefined();
      });

      it('rejects a duplicate id', async () => {
        await store.createDeployment(dep(1));
        await expect(store.createDeployment(dep(1))).rejects.toThrow();
      });

      it('updates only the patched fields, null clears, unknown ids throw NotFound', async () => {
        await store.createDeployment(dep(1, { status: 'running', currentStage: 'build', meta: { a: 1 } }));
        await store.updateDeployment(depId(1), { status: 'failed', finishedAt: iso(5), error: 'x', meta: { b: [2] }, previousVersion: '0.9.0' });
        await store.updateDeployment(depId(1), { currentStage: null });
        await store.updateDeployment(depId(1), {});
        expect(await store.getDeployment(depId(1))).toEqual({
          ...dep(1),
          status: 'failed',
          finishedAt: iso(5),
          currentStage: null,
          error: 'x',
          meta: { b: [2] },
          previousVersion: '0.9.0',
        });
        await expect(store.updateDeployment('dep_missing', { status: 'failed' })).rejects.toBeInstanceOf(NotFound);
        await expect(store.updateDeployment('dep_missing', {})).rejects.toBeInstanceOf(NotFound);
      });

      it('lists newest first, 20 by default, scoped to the app', async () => {
        await createAll(store, [...Array.from({ length: 25 }, (_, i) => dep(i)), dep(100, { app: 'web' })]);
        const page = await store.listDeployments({ app: 'api' });
        expect(ids(page)).toEqual(Array.from({ length: 20 }, (_, i) => depId(24 - i)));
        expect(ids(await store.listDeployments({ app: 'api', limit: 3 }))).toEqual([depId(24), depId(23), depId(22)]);
        expect(await store.listDeployments({ app: 'api', limit: 0 })).toEqual([]);
        expect(ids(await store.listDeployments({ app: 'web' }))).toEqual([depId(100)]);
        expect(await store.listDeployments({ app: 'nope' })).toEqual([]);
      });

      it('pages with beforeId without gaps or overlaps', async () => {
        await createAll(store, Array.from({ length: 7 }, (_, i) => dep(i)));
        const seen: string[] = [];
        let beforeId: string | undefined;
        for (;;) {
          const page = await store.listDeployments({ app: 'api', limit: 3, beforeId });
          if (page.length === 0) break;
          seen.push(...ids(page));
          beforeId = page.at(-1)?.id;
        }
        expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => depId(6 - i)));
      });

      it('filters by environment, statuses and kind', async () => {
        await createAll(store, [
          dep(1, { environment: 'staging' }),
          dep(2, { status: 'failed' }),
          dep(3, { kind: 'rollback', status: 'rolled_back' }),
          dep(4, { environment: 'staging', status: 'failed', kind: 'rollback' }),
          dep(5),
        ]);
        expect(ids(await store.listDeployments({ app: 'api', environment: 'staging' }))).toEqual([depId(4), depId(1)]);
        expect(ids(await store.listDeployments({ app: 'api', statuses: ['failed', 'rolled_back'] }))).toEqual([depId(4), depId(3), depId(2)]);
        expect(ids(await store.listDeployments({ app: 'api', statuses: [] }))).toEqual([]);
        expect(ids(await store.listDeployments({ app: 'api', kind: 'rollback' }))).toEqual([depId(4), depId(3)]);
        expect(ids(await store.listDeployments({ app: 'api', kind: 'deploy', environment: 'production', statuses: ['succeeded'] }))).toEqual([depId(5)]);
        expect(ids(await store.listDeployments({ app: 'api', environment: 'production', beforeId: depId(5), limit: 1 }))).toEqual([depId(3)]);
      });

      it('rejects a negative or fractional limit', async () => {
        await expect(store.listDeployments({ app: 'api', limit: -1 })).rejects.toThrow(RangeError);
        await expect(store.listDeployments({ app: 'api', limit: 1.5 })).rejects.toThrow(RangeError);
      });

      it('counts per app and per environment', async () => {
        await createAll(store, [dep(1), dep(2, { environment: 'staging' }), dep(3), dep(4, { app: 'web' })]);
        expect(await store.countDeployments('api')).toBe(3);
        expect(await store.countDeployments('api', 'production')).toBe(2);
        expect(await store.countDeployments('api', 'dev')).toBe(0);
        expect(await store.countDeployments('nope')).toBe(0);
      });

      it('lists unfinished deployments of one app/env, oldest first', async () => {
        const statuses: DeploymentStatus[] = ['running', 'succeeded', 'awaiting_approval', 'failed', 'blocked', 'rolled_back', 'rollback_failed', 'cancelled', 'running'];
        await createAll(store, [...statuses.map((status, i) => dep(i, { status })), dep(50, { status: 'running', environment: 'staging' }), dep(51, { status: 'running', app: 'web' })]);
        expect(ids(await store.listUnfinished('api', 'production'))).toEqual([depId(0), depId(2), depId(8)]);
        expect(ids(await store.listUnfinished('api', 'staging'))).toEqual([depId(50)]);
        expect(await store.listUnfinished('api', 'dev')).toEqual([]);
      });

      it('lastSucceeded is the newest succeeded deployment of that app/env', async () => {
        expect(await store.lastSucceeded('api', 'production')).toBeUndefined();
        await createAll(store, [
          dep(1),
          dep(2),
          dep(3, { status: 'failed' }),
          dep(4, { status: 'running' }),
          dep(5, { environment: 'staging' }),
          dep(6, { app: 'web' }),
        ]);
        expect((await store.lastSucceeded('api', 'production'))?.id).toBe(depId(2));
        expect((await store.lastSucceeded('api', 'staging'))?.id).toBe(depId(5));
        expect(await store.lastSucceeded('api', 'dev')).toBeUndefined();
      });
    });

    describe('events', () => {
      beforeEach(async () => {
        await createAll(store, [dep(1), dep(2)]);
      });

      it('appends with increasing seq and lists in order, per deployment', async () => {
        const seqs: number[] = [];
        for (let i = 0; i < 5; i++) {
          seqs.push(await store.appendEvent({ deploymentId: depId(1 + (i % 2)), at: iso(i), type: `t${i}`, stage: i === 0 ? null : 'build', step: null, data: { i } }));
        }
        expect(seqs.every((s) => typeof s === 'number')).toBe(true);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(5);
        const events = await store.listEvents(depId(1));
        expect(events.map((e) => e.type)).toEqual(['t0', 't2', 't4']);
        expect(events[0]).toEqual({ seq: seqs[0], deploymentId: depId(1), at: iso(0), type: 't0', stage: null, step: null, data: { i: 0 } });
        expect(await store.listEvents('dep_missing')).toEqual([]);
      });

      it('appendEventOnce journals an id once, also when offered again or by two callers at once', async () => {
        const e = { deploymentId: depId(1), at: iso(1), type: 'agent:crash_loop', stage: null, step: null, data: { n: 1 } };
        const first = await store.appendEventOnce('agent-ev-1', e);
        expect(first).toBeTypeOf('number');
        expect(await store.appendEventOnce('agent-ev-1', e)).toBeNull();
        const both = await Promise.all([store.appendEventOnce('agent-ev-2', e), store.appendEventOnce('agent-ev-2', e)]);
        expect(both.filter((s) => s !== null)).toHaveLength(1);
        expect((await store.listEvents(depId(1))).filter((x) => x.type === 'agent:crash_loop')).toHaveLength(2);
      });

      it('filters with afterSeq', async () => {
        const seqs: number[] = [];
        for (let i = 0; i < 4; i++) seqs.push(await store.appendEvent({ deploymentId: depId(1), at: iso(i), type: 'x', stage: 's', step: `k${i}`, data: {} }));
        expect((await store.listEvents(depId(1), seqs[1])).map((e) => e.seq)).toEqual(seqs.slice(2));
        expect(await store.listEvents(depId(1), seqs[3])).toEqual([]);
        expect((await store.listEvents(depId(1), 0)).map((e) => e.seq)).toEqual(seqs);
      });

      it('round-trips event data as JSON', async () => {
        const data = { deploymentId: depId(1), list: [1, 2, { deep: 'é' }], flag: false, nothing: null, big: 2 ** 40 };
        const seq = await store.appendEvent({ deploymentId: depId(1), at: iso(1), type: 'stage:finished', stage: 'deploy', step: 'canary', data });
        expect(await store.listEvents(depId(1))).toEqual([{ seq, deploymentId: depId(1), at: iso(1), type: 'stage:finished', stage: 'deploy', step: 'canary', data }]);
      });

      it('listEventsAfter: every deployment\'s events after a cursor, oldest first, with their context, paged', async () => {
        await createAll(store, [dep(3, { app: 'web', environment: 'staging', kind: 'rollback', triggeredBy: 'bob' })]);
        const seqs: number[] = [];
        for (let i = 0; i < 6; i++) seqs.push(await store.appendEvent({ deploymentId: depId(1 + (i % 3)), at: iso(i), type: `t${i}`, stage: null, step: null, data: { i } }));
        const all = await store.listEventsAfter(0);
        expect(all.map((e) => e.seq)).toEqual(seqs);
        expect(all[2]).toEqual({ seq: seqs[2], deploymentId: depId(3), at: iso(2), type: 't2', stage: null, step: null, data: { i: 2 }, context: { deploymentId: depId(3), app: 'web', environment: 'staging', version: '1.0.3', kind: 'rollback', actor: 'bob' } });
        expect((await store.listEventsAfter(seqs[3]!)).map((e) => e.type)).toEqual(['t4', 't5']);
        expect((await store.listEventsAfter(seqs[0]!, { limit: 2 })).map((e) => e.type)).toEqual(['t1', 't2']);
        expect((await store.listEventsAfter(0, { app: 'web' })).map((e) => e.type)).toEqual(['t2', 't5']);
        expect(await store.listEventsAfter(seqs[5]!)).toEqual([]);
        await expect(store.listEventsAfter(-1)).rejects.toThrow('afterSeq must be a whole number >= 0 (got -1)');
        await expect(store.listEventsAfter(0, { limit: 0 })).rejects.toThrow('limit must be a whole number >= 1 (got 0)');
      });

      it('listEventsAfter: a reader that follows concurrent writers with a cursor misses nothing', async () => {
        const writers = [1, 2].map(async (d) => {
          for (let i = 0; i < 40; i++) await store.appendEvent({ deploymentId: depId(d), at: iso(i), type: `w${d}`, stage: null, step: null, data: { i } });
        });
        const seen: number[] = [];
        let cursor = 0;
        const reading = (async () => {
          for (let rounds = 0; seen.length < 80 && rounds < 10_000; rounds++) {
            const page = await store.listEventsAfter(cursor, { limit: 7 });
            for (const e of page) seen.push(e.seq);
            cursor = page.at(-1)?.seq ?? cursor;
          }
        })();
        await Promise.all([...writers, reading]);
        expect(seen).toHaveLength(80);
        expect(new Set(seen).size).toBe(80);
      });

      it('refuses events of an unknown deployment (foreign keys are on)', async () => {
        await expect(store.appendEvent({ deploymentId: 'dep_missing', at: iso(1), type: 'x', stage: null, step: null, data: {} })).rejects.toThrow();
      });
    });

    describe('locks', () => {
      it('acquires a free lock; a second acquire gets the holder', async () => {
        const first = lock('dep_a');
        expect(await store.tryAcquireLock(first)).toEqual({ acquired: true });
        expect(await store.tryAcquireLock(lock('dep_b', { holder: 'bob', pid: 7, processStart: null }))).toEqual({ acquired: false, holder: first });
        expect(await store.getLock('api', 'production')).toEqual(first);
        expect(await store.tryAcquireLock(lock('dep_c', { environment: 'staging' }))).toEqual({ acquired: true });
        expect(await store.tryAcquireLock(lock('dep_d', { app: 'web' }))).toEqual({ acquired: true });
      });

      it('lists the locks of an app by environment', async () => {
        await store.tryAcquireLock(lock('dep_b', { environment: 'staging' }));
        await store.tryAcquireLock(lock('dep_a'));
        await store.tryAcquireLock(lock('dep_c', { app: 'web' }));
        expect((await store.listLocks('api')).map((l) => [l.environment, l.deploymentId])).toEqual([
          ['production', 'dep_a'],
          ['staging', 'dep_b'],
        ]);
        expect(await store.listLocks('nope')).toEqual([]);
      });

      it('release by another deployment is a no-op; release by the holder frees it', async () => {
        await store.tryAcquireLock(lock('dep_a'));
        await store.releaseLock('api', 'production', 'dep_b');
        expect((await store.getLock('api', 'production'))?.deploymentId).toBe('dep_a');
        await store.releaseLock('api', 'production', 'dep_a');
        expect(await store.getLock('api', 'production')).toBeUndefined();
        expect(await store.tryAcquireLock(lock('dep_b'))).toEqual({ acquired: true });
      });

      it('replaceLock takes over only while the stale holder still holds it', async () => {
        await store.tryAcquireLock(lock('dep_a'));
        const mine = lock('dep_b', { holder: 'bob', pid: 99, host: 'build-2', processStart: null, acquiredAt: iso(60), heartbeatAt: iso(60) });
        expect(await store.replaceLock('dep_a', mine)).toBe(true);
        expect(await store.getLock('api', 'production')).toEqual(mine);
        // Someone else already replaced dep_a: a second takeover of dep_a must fail.
        expect(await store.replaceLock('dep_a', lock('dep_c'))).toBe(false);
        expect(await store.getLock('api', 'production')).toEqual(mine);
        await store.releaseLock('api', 'production', 'dep_b');
        expect(await store.replaceLock('dep_b', lock('dep_c'))).toBe(false);
        expect(await store.getLock('api', 'production')).toBeUndefined();
      });

      it('heartbeat moves heartbeatAt of the holder only', async () => {
        await store.tryAcquireLock(lock('dep_a'));
        await store.heartbeatLock('api', 'production', 'dep_b', iso(30));
        expect((await store.getLock('api', 'production'))?.heartbeatAt).toBe(iso(0));
        await store.heartbeatLock('api', 'production', 'dep_a', iso(30));
        expect(await store.getLock('api', 'production')).toEqual({ ...lock('dep_a'), heartbeatAt: iso(30) });
      });

      it('10 stores racing for one lock: exactly one acquires, the others see it', async () => {
        const stores = await Promise.all(Array.from({ length: 10 }, () => open()));
        const results = await Promise.all(stores.map((s, i) => s.tryAcquireLock(lock(`dep_${i}`))));
        const winners = results.flatMap((r, i) => (r.acquired ? [`dep_${i}`] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) if (!r.acquired) expect(r.holder.deploymentId).toBe(winners[0]);
        expect((await store.getLock('api', 'production'))?.deploymentId).toBe(winners[0]);
      });
    });

    describe('concurrent opens', () => {
      let fresh: Target;

      beforeEach(async () => {
        fresh = await makeTarget();
      });

      afterEach(async () => {
        await fresh.dispose();
      });

      it('10 stores opening a new store at once: all succeed, the schema is migrated once', async () => {
        const stores = await Promise.all(Array.from({ length: 10 }, () => open(fresh)));
        for (const s of stores) expect(await s.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        const applied = stores.map((s) => (s as SqlStore).migration.applied).filter((a) => a.length > 0);
        expect(applied).toEqual([MIGRATIONS.map((m) => m.version)]);
        await Promise.all(stores.map((s) => s.close()));
        expect(await schemaRows(fresh)).toBe(1);
      });

      it('6 processes opening a new store and racing for the lock: one migrates, one acquires', async () => {
        const results = await Promise.all(Array.from({ length: 6 }, (_, i) => runChild(fresh, `dep_child_${i}`)));
        expect(results.filter((r) => r.acquired)).toHaveLength(1);
        expect(results.map((r) => r.version)).toEqual(Array(6).fill(LATEST_SCHEMA_VERSION));
        expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
        expect(await schemaRows(fresh)).toBe(1);
      });
    });

    describe('releases', () => {
      it('upserts (overwriting), gets, lists newest first and deletes', async () => {
        await store.upsertRelease(release('1.0.0', 1));
        await store.upsertRelease(release('1.1.0', 3, { dir: null, manifestSha256: null, start: {}, artifacts: [] }));
        await store.upsertRelease(release('1.0.1', 2));
        await store.upsertRelease(release('9.9.9', 9, { app: 'web' }));
        expect(await store.getRelease('api', '1.1.0')).toEqual(release('1.1.0', 3, { dir: null, manifestSha256: null, start: {}, artifacts: [] }));
        expect((await store.listReleases('api')).map((r) => r.version)).toEqual(['1.1.0', '1.0.1', '1.0.0']);

        const rebuilt = release('1.0.0', 5, { manifestSha256: 'cd'.repeat(32), artifacts: ['a.js'], start: { command: ['./run'] } });
        await store.upsertRelease(rebuilt);
        expect(await store.getRelease('api', '1.0.0')).toEqual(rebuilt);
        expect((await store.listReleases('api')).map((r) => r.version)).toEqual(['1.0.0', '1.1.0', '1.0.1']);

        await store.deleteRelease('api', '1.1.0');
        await store.deleteRelease('api', 'nope');
        expect(await store.getRelease('api', '1.1.0')).toBeUndefined();
        expect((await store.listReleases('api')).map((r) => r.version)).toEqual(['1.0.0', '1.0.1']);
        expect(await store.listReleases('nope')).toEqual([]);
      });
    });

    describe('approvals and records', () => {
      beforeEach(async () => {
        await createAll(store, [dep(1), dep(2)]);
      });

      it('adds approvals and lists them oldest first, per deployment', async () => {
        await store.addApproval({ deploymentId: depId(1), approver: 'bob', comment: 'lgtm', at: iso(10) });
        await store.addApproval({ deploymentId: depId(1), approver: 'carol', comment: null, at: iso(11) });
        await store.addApproval({ deploymentId: depId(2), approver: 'dave', comment: null, at: iso(12) });
        expect(await store.listApprovals(depId(1))).toEqual([
          { deploymentId: depId(1), approver: 'bob', comment: 'lgtm', at: iso(10) },
          { deploymentId: depId(1), approver: 'carol', comment: null, at: iso(11) },
        ]);
        expect(await store.listApprovals('dep_missing')).toEqual([]);
      });

      it('saves, overwrites and gets the record', async () => {
        expect(await store.getRecord(depId(1))).toBeUndefined();
        const record = { id: depId(1), stages: [{ name: 'build', ms: 1200 }], ok: true, secret: '***' };
        await store.saveRecord(depId(1), record);
        expect(await store.getRecord(depId(1))).toEqual(record);
        await store.saveRecord(depId(1), { id: depId(1), ok: false });
        expect(await store.getRecord(depId(1))).toEqual({ id: depId(1), ok: false });
        expect(await store.getRecord(depId(2))).toBeUndefined();
      });
    });

    describe('incidents and reports', () => {
      const incident = (i: number, over: Partial<IncidentRow> = {}): IncidentRow => ({
        id: `inc_${i}`,
        app: 'api',
        environment: 'production',
        type: 'rollback',
        severity: 'warning',
        details: `details ${i}`,
        status: 'open',
        deploymentIds: [depId(1), depId(2)],
        openedBy: 'alice',
        openedAt: iso(i),
        resolvedBy: null,
        resolvedAt: null,
        resolution: null,
        ...over,
      });

      it('keeps incidents, lists them newest first by environment, status and time, and resolves each once', async () => {
        await createAll(store, [dep(1), dep(2)]);
        for (const row of [incident(10), incident(11, { environment: 'staging' }), incident(12), incident(13, { app: 'other' })]) await store.createIncident(row);
        expect(await store.getIncident('inc_10')).toEqual(incident(10));
        expect((await store.listIncidents({ app: 'api' })).map((i) => i.id)).toEqual(['inc_12', 'inc_11', 'inc_10']);
        expect((await store.listIncidents({ app: 'api', environment: 'production', limit: 1 })).map((i) => i.id)).toEqual(['inc_12']);
        expect((await store.listIncidents({ app: 'api', openedSince: iso(11) })).map((i) => i.id)).toEqual(['inc_12', 'inc_11']);
        expect(await store.resolveIncident('inc_10', { by: 'bob', at: iso(20), text: 'fixed' })).toBe(true);
        expect(await store.resolveIncident('inc_10', { by: 'carol', at: iso(21), text: null })).toBe(false);
        expect(await store.getIncident('inc_10')).toEqual(incident(10, { status: 'resolved', resolvedBy: 'bob', resolvedAt: iso(20), resolution: 'fixed' }));
        expect((await store.listIncidents({ app: 'api', status: 'open' })).map((i) => i.id)).toEqual(['inc_12', 'inc_11']);
      });

      it('saves, overwrites and gets a deployment\'s report', async () => {
        await createAll(store, [dep(1)]);
        expect(await store.getReport(depId(1))).toBeUndefined();
        await store.saveReport(depId(1), 'failure', { a: 1 });
        await store.saveReport(depId(1), 'success', { b: [2] });
        expect(await store.getReport(depId(1))).toEqual({ kind: 'success', report: { b: [2] } });
        await expect(store.saveReport('dep_missing', 'failure', {})).rejects.toThrow();
      });
    });

    describe('acknowledgements', () => {
      const failed = (i: number, env = 'production') => dep(i, { status: 'rollback_failed', environment: env });

      it('records who acknowledged a failed rollback, once; a second acknowledgement changes nothing', async () => {
        await createAll(store, [failed(1)]);
        const row = { deploymentId: depId(1), by: 'alice', reason: 'restored v1 by hand', at: iso(5) };
        expect(await store.acknowledge(row)).toBe(true);
        expect(await store.acknowledge({ ...row, by: 'bob', reason: 'again' })).toBe(false);
        expect(await store.listAcknowledgements([depId(1), 'dep_missing'])).toEqual([row]);
        expect(await store.listAcknowledgements([])).toEqual([]);
        await expect(store.acknowledge({ ...row, deploymentId: 'dep_missing' })).rejects.toThrow();
      });

      it('lists the unacknowledged failures of one app/env newest first, until acknowledged or followed by a success', async () => {
        await createAll(store, [dep(1), failed(2), failed(3), failed(4, 'staging'), dep(5, { app: 'web', status: 'rollback_failed' })]);
        expect((await store.listUnacknowledgedFailures('api', 'production')).map((d) => d.id)).toEqual([depId(3), depId(2)]);
        await store.acknowledge({ deploymentId: depId(3), by: 'alice', reason: 'looked', at: iso(9) });
        expect((await store.listUnacknowledgedFailures('api', 'production')).map((d) => d.id)).toEqual([depId(2)]);
        expect((await store.listUnacknowledgedFailures('api', 'staging')).map((d) => d.id)).toEqual([depId(4)]);
        await store.createDeployment(dep(6));
        expect(await store.listUnacknowledgedFailures('api', 'production')).toEqual([]);
        expect(await store.listUnacknowledgedFailures('api', 'nowhere')).toEqual([]);
      });
    });

    describe('close', () => {
      it('is safe twice, and the store reopens', async () => {
        await store.createDeployment(dep(1));
        await store.close();
        await store.close();
        expect(await (await open()).countDeployments('api')).toBe(1);
      });
    });

    describe('100,000 deployments', () => {
      const apps = ['api', 'web'];
      const envs = ['production', 'staging', 'dev'];
      const rows = Array.from({ length: 100_000 }, (_, i) =>
        dep(i, { app: apps[i % 2], environment: envs[i % 3], status: i % 7 === 0 ? 'failed' : 'succeeded', meta: { i } }),
      );
      const newest = (pred: (r: NewDeployment) => boolean, n = 20): string[] => ids(rows.filter(pred).reverse().slice(0, n));

      it('lists the newest 20 correctly, read in order from an index', async () => {
        await (store as SqlStore).insertDeployments(rows);
        expect(await store.countDeployments('api')).toBe(50_000);
        expect(ids(await store.listDeployments({ app: 'api', limit: 20 }))).toEqual(newest((r) => r.app === 'api'));
        expect(ids(await store.listDeployments({ app: 'web', environment: 'staging' }))).toEqual(newest((r) => r.app === 'web' && r.environment === 'staging'));
        const before = depId(50_001);
        expect(ids(await store.listDeployments({ app: 'api', beforeId: before }))).toEqual(newest((r) => r.app === 'api' && r.id < before));
        expect((await store.lastSucceeded('api', 'dev'))?.id).toBe(newest((r) => r.app === 'api' && r.environment === 'dev' && r.status === 'succeeded', 1)[0]);

        const driver = await openDriver(parseStoreUrl(target.url, target.root));
        try {
          if (driver.dialect.name === 'postgres') await driver.exec('ANALYZE deployments');
          for (const q of [{ app: 'api' }, { app: 'api', environment: 'dev' }, { app: 'api', environment: 'dev', beforeId: before }]) {
            const { sql, params } = listDeploymentsSql(q);
            const plan = await explain(driver, sql, params);
            // Read in id order from an index and stop at LIMIT: no full scan, no sort.
            expect(plan).toMatch(/USING (COVERING )?INDEX|Index Scan Backward/);
            expect(plan).not.toMatch(/TEMP B-TREE|Sort|Seq Scan/);
          }
        } finally {
          await driver.close();
        }
      }, 60_000);
    });
  });
}

describeStoreSuite('sqlite', sqliteTarget);
describeStoreSuite('postgres', postgresTarget);
