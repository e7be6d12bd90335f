import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Cancelled, LockHeld } from '../../../src/errors.js';
import { acquireLock, DEFAULT_LOCK_STALE_MS, isStaleHolder, startHeartbeat, type LockRequest } from '../../../src/pipeline/lock.js';
import { FakeClock } from '../../../src/runtime/clock.js';
import { currentIdentity, startToken, type ProcessIdentity } from '../../../src/runtime/process-identity.js';
import type { LockRow, Store } from '../../../src/store/contract.js';
import { openStore } from '../../../src/store/index.js';
import { makeTempDir, type TempDir } from '../../support/tmp.js';
import { drive, track, untilParkedOrSettled } from '../gates/helpers.js';

const NOW = Date.parse('2026-11-23T17:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();
const me: ProcessIdentity = currentIdentity();

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

function holder(overrides: Partial<LockRow> = {}): LockRow {
  return {
    app: 'demo',
    environment: 'production',
    deploymentId: 'dep_20261123T165500Z_00old',
    holder: 'bob',
    pid: process.pid,
    host: me.host,
    processStart: me.start,
    acquiredAt: iso(NOW - 60_000),
    heartbeatAt: iso(NOW - 5_000),
    ...overrides,
  };
}

describe('isStaleHolder', () => {
  it('same host: stale exactly when the process check says it is gone', () => {
    const alive = vi.fn(() => true);
    expect(isStaleHolder(holder(), me, NOW, { isAlive: alive })).toBe(false);
    expect(alive).toHaveBeenCalledWith(process.pid, me.start);
    expect(isStaleHolder(holder(), me, NOW, { isAlive: () => false })).toBe(true);
    // The heartbeat does not matter on the same host.
    expect(isStaleHolder(holder({ heartbeatAt: iso(NOW - 10 * DEFAULT_LOCK_STALE_MS) }), me, NOW, { isAlive: () => true })).toBe(false);
  });

  it('same host, real process check: a dead pid is stale, and so is a live pid with another start token', () => {
    expect(isStaleHolder(holder(), me, NOW, {})).toBe(false);
    expect(isStaleHolder(holder({ pid: deadPid() }), me, NOW, {})).toBe(true);
    expect(isStaleHolder(holder({ processStart: 'some-other-boot:123' }), me, NOW, {})).toBe(true);
  });

  it('other host: stale when the heartbeat is older than staleMs (default 2 minutes)', () => {
    const remote = (ageMs: number): LockRow => holder({ host: 'elsewhere', pid: 1, heartbeatAt: iso(NOW - ageMs) });
    const deadProcess = { isAlive: () => false };
    expect(isStaleHolder(remote(DEFAULT_LOCK_STALE_MS), me, NOW, deadProcess)).toBe(false);
    expect(isStaleHolder(remote(DEFAULT_LOCK_STALE_MS + 1), me, NOW, deadProcess)).toBe(true);
    expect(isStaleHolder(remote(30_000), me, NOW, { staleMs: 20_000 })).toBe(true);
    expect(isStaleHolder(remote(10_000), me, NOW, { staleMs: 20_000 })).toBe(false);
  });
});

describe('acquireLock', () => {
  let tmp: TempDir;
  let store: Store;
  let clock: FakeClock;

  beforeEach(async () => {
    tmp = await makeTempDir('shipgate-lock-');
    store = await openStore(`sqlite:${join(tmp.path, 'state.db')}`, { root: tmp.path });
    clock = new FakeClock(NOW);
  });

  afterEach(async () => {
    await store.close();
    await tmp.cleanup();
  });

  const request = (overrides: Partial<LockRequest> = {}): LockRequest => ({ app: 'demo', environment: 'production', deploymentId: 'dep_20261123T170000Z_00new', holder: 'alice', identity: me, ...overrides });

  it('takes a free lock and stores who holds it', async () => {
    const lock = await acquireLock(request(), { store, clock });
    const expected: LockRow = { app: 'demo', environment: 'production', deploymentId: 'dep_20261123T170000Z_00new', holder: 'alice', pid: me.pid, host: me.host, processStart: me.start, acquiredAt: iso(NOW), heartbeatAt: iso(NOW) };
    expect(lock).toEqual({ row: expected, tookOverFrom: null });
    expect(await store.getLock('demo', 'production')).toEqual(expected);
  });

  it('a lock row of its own deployment counts as acquired (an insert retried after its first try committed)', async () => {
    await store.tryAcquireLock(holder({ deploymentId: 'dep_20261123T170000Z_00new', holder: 'alice' }));
    expect(await acquireLock(request(), { store, clock })).toMatchObject({ tookOverFrom: null });
  });

  it('refuses a lock held by a live process, naming the deployment, holder, since, pid and host', async () => {
    await store.tryAcquireLock(holder());
    const err = await acquireLock(request(), { store, clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeld);
    expect((err as LockHeld).message).toBe(`demo/production is locked by deployment dep_20261123T165500Z_00old (by bob, since ${iso(NOW - 60_000)}, pid ${process.pid} on ${me.host})`);
    expect((err as LockHeld).holderInfo).toEqual({ deploymentId: 'dep_20261123T165500Z_00old', holder: 'bob', pid: process.pid, host: me.host, acquiredAt: iso(NOW - 60_000) });
    expect((await store.getLock('demo', 'production'))?.deploymentId).toBe('dep_20261123T165500Z_00old');
  });

  it('takes over the lock of a dead holder and says from whom', async () => {
    const dead = holder({ pid: deadPid() });
    await store.tryAcquireLock(dead);
    const lock = await acquireLock(request(), { store, clock });
    expect(lock.tookOverFrom).toEqual(dead);
    expect(await store.getLock('demo', 'production')).toEqual(lock.row);
  });

  it('takes over a holder on another host whose heartbeat went quiet, but not a fresh one', async () => {
    await store.tryAcquireLock(holder({ host: 'other-host', heartbeatAt: iso(NOW - 3 * 60_000) }));
    expect((await acquireLock(request(), { store, clock })).tookOverFrom?.host).toBe('other-host');
    await store.releaseLock('demo', 'production', 'dep_20261123T170000Z_00new');
    await store.tryAcquireLock(holder({ host: 'other-host', heartbeatAt: iso(NOW - 30_000) }));
    await expect(acquireLock(request(), { store, clock })).rejects.toBeInstanceOf(LockHeld);
  });

  it('waits for a live holder to release (polling on the clock), then acquires', async () => {
    await store.tryAcquireLock(holder());
    const attempt = track(acquireLock(request({ waitMs: 10_000 }), { store, clock }));
    await untilParkedOrSettled(clock, attempt.settled);
    expect(attempt.settled()).toBe(false);
    await clock.advance(1000);
    await untilParkedOrSettled(clock, attempt.settled);
    expect(attempt.settled()).toBe(false);
    await store.releaseLock('demo', 'production', 'dep_20261123T165500Z_00old');
    await clock.advance(1000);
    const lock = await attempt.promise;
    expect(lock.tookOverFrom).toBeNull();
    expect(lock.row.acquiredAt).toBe(iso(NOW + 2000));
    expect(clock.now() - NOW).toBe(2000);
  });

  it('gives up after waitMs with LockHeld saying how long it waited', async () => {
    await store.tryAcquireLock(holder());
    const { value, elapsedMs } = await drive(
      acquireLock(request({ waitMs: 3000 }), { store, clock }).catch((e: unknown) => e),
      clock,
      1000,
    );
    expect(value).toBeInstanceOf(LockHeld);
    expect((value as Error).message).toMatch(/^demo\/production is locked by deployment dep_20261123T165500Z_00old \(by bob, .*\) \(waited 3s\)$/);
    expect(elapsedMs).toBe(3000);
  });

  it('stops waiting when its signal aborts', async () => {
    await store.tryAcquireLock(holder());
    const ac = new AbortController();
    const attempt = track(acquireLock(request({ waitMs: 60_000, signal: ac.signal }), { store, clock }));
    await untilParkedOrSettled(clock, attempt.settled);
    ac.abort(new Cancelled('cancelled by SIGINT'));
    await expect(attempt.promise).rejects.toThrow('cancelled by SIGINT');
  });
});

describe('startHeartbeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refreshes the heartbeat every interval until stopped, and reports failures', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const beats: string[] = [];
    const errors: unknown[] = [];
    const fake = {
      heartbeatLock: (_app: string, _env: string, id: string, at: string) => {
        beats.push(`${id}@${at}`);
        return beats.length === 2 ? Promise.reject(new Error('database is locked')) : Promise.resolve();
      },
    } as unknown as Store;
    const clock = new FakeClock(NOW);
    const stop = startHeartbeat(holder({ deploymentId: 'dep_a' }), fake, clock, (e) => errors.push(e), 10_000);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(beats).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await clock.advance(10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(beats).toEqual([`dep_a@${iso(NOW)}`, `dep_a@${iso(NOW + 10_000)}`]);
    expect(errors.map((e) => (e as Error).message)).toEqual(['database is locked']);
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beats).toHaveLength(2);
  });
});

describe('process identity', () => {
  it('has a start token on Linux that tells this process apart', () => {
    expect(me.pid).toBe(process.pid);
    expect(startToken(process.pid)).toBe(me.start);
    expect(me.start).toMatch(/^[0-9a-f-]+:\d+$/);
  });
});
