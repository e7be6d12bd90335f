/**
 * The BackupStorage contract, as one suite every backend runs (local folder, S3).
 * A backend's test file gives a fixture: fresh storages, and a way to set an
 * object's time as the backend keeps it (order tests cannot wait for clocks).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cancelled, NotFound, UsageError } from '../../src/errors.js';
import type { BackupStorage } from '../../src/storage/contract.js';

export interface StorageFixture {
  /** A new, empty storage. */
  make(): Promise<BackupStorage>;
  /** Sets the modified time of an object that exists. */
  age(storage: BackupStorage, key: string, at: Date): Promise<void>;
  /** Runs after each test. */
  cleanup?(): Promise<void>;
}

/** More than the 5 MiB part size, so S3 takes it as a multipart upload. */
export const LARGE_SIZE = 12 * 1024 * 1024 + 12_345;

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

/** `data` in 1 MiB chunks, the way a dump arrives. */
export function chunked(data: Buffer, size = 1024 * 1024): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })(), { objectMode: false });
}

/** A source that yields `before` bytes, then calls `then` (fail or abort), as a dump that dies midway. */
export function failingSource(before: number, then: () => Error | void): Readable {
  return Readable.from((async function* () {
    yield* chunked(randomBytes(before));
    const err = then();
    // An abort takes effect through the signal; the source only waits for the put to stop reading.
    if (err) throw err;
    yield randomBytes(1024 * 1024);
    yield randomBytes(1024 * 1024);
  })(), { objectMode: false });
}

export const BAD_KEYS = ['', '/abs/x.dump', 'a//b', 'a/../b', '..', 'a/./b', 'a/b/', 'nul\0byte', '.hidden', 'a/.tmp', 'back\\slash'];

export function describeStorageContract(name: string, fixture: StorageFixture): void {
  describe(`BackupStorage contract: ${name}`, () => {
    let storage: BackupStorage;
    beforeEach(async () => {
      storage = await fixture.make();
    });
    afterEach(async () => {
      await fixture.cleanup?.();
    });

    roundTrips(() => storage);
    listing(() => storage, fixture);
    deletes(() => storage);
    failedPuts(() => storage);
    badKeys(() => storage);
  });
}

function roundTrips(s: () => BackupStorage): void {
  it('stores and returns bytes exactly (empty, small, multi-MB), with size and time from put and stat', async () => {
    for (const [key, data] of [['app/prod/db/empty.dump', Buffer.alloc(0)], ['app/prod/db/small.dump.gz', randomBytes(70_001)], ['app/prod/db/large.dump.gz', randomBytes(LARGE_SIZE)]] as const) {
      expect(await s().put(key, chunked(data))).toEqual({ size: data.length });
      expect(sha256(await readAll(await s().get(key)))).toBe(sha256(data));
      const stat = await s().stat(key);
      expect(stat).toMatchObject({ key, size: data.length });
      expect(Date.parse(stat!.modifiedAt)).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it('put replaces what was under the key', async () => {
    await s().put('k/one', chunked(Buffer.from('first')));
    await s().put('k/one', chunked(Buffer.from('second, longer')));
    expect((await readAll(await s().get('k/one'))).toString()).toBe('second, longer');
    expect(await s().list('k/')).toMatchObject([{ key: 'k/one', size: 14 }]);
  });

  it('get: aborting the signal mid-read ends the stream with an error', async () => {
    await s().put('app/big.dump', chunked(randomBytes(4 * 1024 * 1024)));
    const ac = new AbortController();
    const stream = await s().get('app/big.dump', ac.signal);
    let read = 0;
    const err = await (async () => {
      for await (const chunk of stream) {
        read += (chunk as Buffer).length;
        ac.abort();
      }
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(read).toBeLessThan(4 * 1024 * 1024);
  });

  it('get and stat of a missing key: NotFound naming the location, and null', async () => {
    const err = await s().get('app/prod/db/missing.dump').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFound);
    expect((err as Error).message).toContain(s().location('app/prod/db/missing.dump'));
    expect(await s().stat('app/prod/db/missing.dump')).toBeNull();
  });
}

function listing(s: () => BackupStorage, fixture: StorageFixture): void {
  it('list: by prefix (whole or part of a segment), oldest first, ties by key', async () => {
    const keys = ['app/prod/db/3.dump', 'app/prod/db/1.dump', 'app/prod/db/2.dump', 'app/staging/db/1.dump', 'other/x.dump', 'app/prod/db/0.dump'];
    for (const k of keys) await s().put(k, chunked(Buffer.from(k)));
    const at = (second: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
    // 3 is the oldest, then 1, then 2 and 0 together (the tie goes by key), then the others.
    for (const [k, sec] of [['app/prod/db/3.dump', 1], ['app/prod/db/1.dump', 2], ['app/prod/db/2.dump', 3], ['app/prod/db/0.dump', 3], ['app/staging/db/1.dump', 4], ['other/x.dump', 5]] as const) await fixture.age(s(), k, at(sec));
    const keysOf = async (prefix?: string): Promise<string[]> => (await s().list(prefix)).map((o) => o.key);
    expect(await keysOf('app/prod/')).toEqual(['app/prod/db/3.dump', 'app/prod/db/1.dump', 'app/prod/db/0.dump', 'app/prod/db/2.dump']);
    expect(await keysOf('app/')).toEqual(['app/prod/db/3.dump', 'app/prod/db/1.dump', 'app/prod/db/0.dump', 'app/prod/db/2.dump', 'app/staging/db/1.dump']);
    expect(await keysOf('app/st')).toEqual(['app/staging/db/1.dump']);
    expect(await keysOf()).toHaveLength(keys.length);
    expect(await keysOf('nothing/')).toEqual([]);
    expect((await s().list('other/'))[0]).toEqual({ key: 'other/x.dump', size: 12, modifiedAt: at(5).toISOString() });
  });
}

function deletes(s: () => BackupStorage): void {
  it('delete removes the object and is idempotent; a key never written is fine too', async () => {
    await s().put('app/prod/db/1.dump', chunked(randomBytes(1000)));
    await s().delete('app/prod/db/1.dump');
    expect(await s().stat('app/prod/db/1.dump')).toBeNull();
    await expect(s().get('app/prod/db/1.dump')).rejects.toBeInstanceOf(NotFound);
    await s().delete('app/prod/db/1.dump');
    await s().delete('never/written');
    expect(await s().list()).toEqual([]);
  });
}

function failedPuts(s: () => BackupStorage): void {
  for (const before of [100_000, LARGE_SIZE]) {
    it(`a source that fails after ${before} bytes leaves nothing under the key, and the previous object intact`, async () => {
      const err = await s().put('app/prod/db/new.dump', failingSource(before, () => new Error('pg_dump exited with code 1'))).catch((e: unknown) => e);
      expect((err as Error).message).toContain(s().location('app/prod/db/new.dump'));
      expect((err as Error).message).toContain('pg_dump exited with code 1');
      expect(await s().stat('app/prod/db/new.dump')).toBeNull();
      await s().put('app/prod/db/old.dump', chunked(Buffer.from('the old backup')));
      await expect(s().put('app/prod/db/old.dump', failingSource(before, () => new Error('disk full')))).rejects.toThrow('disk full');
      expect((await readAll(await s().get('app/prod/db/old.dump'))).toString()).toBe('the old backup');
      expect((await s().list()).map((o) => o.key)).toEqual(['app/prod/db/old.dump']);
    });

    it(`a put aborted after ${before} bytes rejects with Cancelled and leaves nothing`, async () => {
      const ac = new AbortController();
      const err = await s().put('app/prod/db/aborted.dump', failingSource(before, () => ac.abort()), ac.signal).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Cancelled);
      expect((err as Error).message).toContain(s().location('app/prod/db/aborted.dump'));
      expect(await s().stat('app/prod/db/aborted.dump')).toBeNull();
      expect(await s().list()).toEqual([]);
    });
  }

  it('an abort that comes as the source ends still cancels the put and leaves nothing', async () => {
    for (const size of [1000, LARGE_SIZE]) {
      const ac = new AbortController();
      const source = chunked(randomBytes(size));
      // 'end' fires once the put has read the last byte.
      source.once('end', () => ac.abort());
      await expect(s().put(`app/late-${size}.dump`, source, ac.signal)).rejects.toBeInstanceOf(Cancelled);
    }
    expect(await s().list()).toEqual([]);
  });

  it('a put whose signal is already aborted stores nothing', async () => {
    await expect(s().put('app/x.dump', chunked(randomBytes(1000)), AbortSignal.abort())).rejects.toBeInstanceOf(Cancelled);
    expect(await s().list()).toEqual([]);
  });
}

function badKeys(s: () => BackupStorage): void {
  it('refuses bad keys on every operation with an error naming the key', async () => {
    for (const key of BAD_KEYS) {
      const named = expect.objectContaining({ message: expect.stringContaining(`invalid storage key ${JSON.stringify(key)}`) });
      expect(() => s().location(key)).toThrow(UsageError);
      await expect(s().put(key, chunked(Buffer.from('x')))).rejects.toEqual(named);
      await expect(s().get(key)).rejects.toEqual(named);
      await expect(s().stat(key)).rejects.toEqual(named);
      await expect(s().delete(key)).rejects.toEqual(named);
    }
    await expect(s().list('../')).rejects.toThrow('invalid storage prefix "../"');
    await expect(s().list('/abs')).rejects.toThrow(UsageError);
    expect(await s().list()).toEqual([]);
  });
}
