import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/runtime/clock.js';
import type { Store } from '../../../src/store/contract.js';
import { isTransientStoreError, resilientStore, StoreUnavailable } from '../../../src/store/resilient.js';

const err = (code: string, message = code): Error => Object.assign(new Error(message), { code });

/** A store whose getLock fails with `failures` errors first, then answers. */
function flaky(failures: Error[]): { store: Store; calls: () => number } {
  let calls = 0;
  const store = {
    dialect: 'sqlite',
    async getLock() {
      calls++;
      const next = failures.shift();
      if (next) throw next;
      return undefined;
    },
    async close() {},
  } as unknown as Store;
  return { store, calls: () => calls };
}

/** Runs `p` while advancing the fake clock in steps, as the retry loop sleeps. */
async function drive<T>(clock: FakeClock, p: Promise<T>): Promise<T> {
  let settled = false;
  const done = p.then(
    (v) => ((settled = true), v),
    (e: unknown) => {
      settled = true;
      throw e;
    },
  );
  done.catch(() => undefined);
  while (!settled) await clock.advance(50);
  return done;
}

describe('isTransientStoreError', () => {
  it.each([
    ['ECONNREFUSED', err('ECONNREFUSED')],
    ['ECONNRESET', err('ECONNRESET')],
    ['admin shutdown (57P01)', err('57P01')],
    ['cannot connect now (57P03)', err('57P03')],
    ['connection failure (08006)', err('08006')],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['SQLITE_BUSY', err('SQLITE_BUSY')],
    ['SQLITE_FULL', err('SQLITE_FULL')],
    ['SQLITE_IOERR_WRITE', err('SQLITE_IOERR_WRITE')],
  ])('%s: transient', (_name, e) => expect(isTransientStoreError(e)).toBe(true));

  it.each([
    ['a syntax error (42601)', err('42601')],
    ['a unique violation (23505)', err('23505')],
    ['SQLITE_CONSTRAINT', err('SQLITE_CONSTRAINT_PRIMARYKEY')],
    ['a plain bug', new TypeError('x is undefined')],
  ])('%s: not transient', (_name, e) => expect(isTransientStoreError(e)).toBe(false));
});

describe('resilientStore', () => {
  it('retries a transient failure until the store answers', async () => {
    const clock = new FakeClock(0);
    const { store, calls } = flaky([err('ECONNREFUSED'), err('57P03'), err('ECONNREFUSED')]);
    const retries: number[] = [];
    const s = resilientStore(store, { clock, retryMs: 30_000, onRetry: (i) => retries.push(i.attempt) });
    await expect(drive(clock, s.getLock('a', 'b'))).resolves.toBeUndefined();
    expect(calls()).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
    expect(s.tripped).toBe(false);
  });

  it('gives up after the budget with StoreUnavailable, then tries once per call', async () => {
    const clock = new FakeClock(0);
    const { store, calls } = flaky(Array.from({ length: 1000 }, () => err('ECONNREFUSED')));
    const s = resilientStore(store, { clock, retryMs: 2000 });
    const failure = await drive(clock, s.getLock('a', 'b')).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StoreUnavailable);
    expect((failure as Error).message).toMatch(/^the state store did not answer for 2s \(getLock: ECONNREFUSED\)$/);
    expect(clock.now()).toBeGreaterThanOrEqual(2000);
    expect(s.tripped).toBe(true);
    const before = calls();
    await expect(s.getLock('a', 'b')).rejects.toBeInstanceOf(StoreUnavailable);
    expect(calls()).toBe(before + 1);
  });

  it('once the store answers again, a later outage gets the whole budget again', async () => {
    const clock = new FakeClock(0);
    const failures = Array.from({ length: 1000 }, () => err('ECONNREFUSED'));
    const { store } = flaky(failures);
    const s = resilientStore(store, { clock, retryMs: 1000 });
    await drive(clock, s.getLock('a', 'b')).catch(() => undefined);
    expect(s.tripped).toBe(true);
    failures.length = 0;
    await s.getLock('a', 'b');
    expect(s.tripped).toBe(false);
  });

  it('an insert retried after its first try committed (the answer was lost) meets its own row: done, not an error', async () => {
    const clock = new FakeClock(0);
    let inserted = 0;
    const store = {
      dialect: 'postgres',
      async createDeployment() {
        inserted++;
        if (inserted === 1) throw err('ECONNRESET');
        throw err('23505', 'duplicate key value violates unique constraint "deployments_pkey"');
      },
      async close() {},
    } as unknown as Store;
    await expect(drive(clock, resilientStore(store, { clock }).createDeployment({} as never))).resolves.toBeUndefined();
    expect(inserted).toBe(2);
    // A first try that conflicts is a real conflict.
    inserted = 1;
    await expect(resilientStore(store, { clock }).createDeployment({} as never)).rejects.toThrow('duplicate key');
  });

  it('passes other errors through at once', async () => {
    const clock = new FakeClock(0);
    const { store, calls } = flaky([err('23505', 'duplicate key')]);
    await expect(resilientStore(store, { clock }).getLock('a', 'b')).rejects.toThrow('duplicate key');
    expect(calls()).toBe(1);
  });
});
