/** What the contract cannot see of the local backend: modes, temp files, folders, the factory's paths. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFound } from '../../src/errors.js';
import { createStorage } from '../../src/storage/index.js';
import { createLocalStorage } from '../../src/storage/local.js';
import { chunked, failingSource } from '../support/storage-contract.js';
import { makeTempDir, type TempDir } from '../support/tmp.js';

let tmp: TempDir;
let oldMask: number;
const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
const allEntries = (dir: string): string[] => readdirSync(dir, { recursive: true }).map(String).sort();

beforeEach(async () => {
  tmp = await makeTempDir('shipgate-local-storage-');
  // The loosest umask: the modes below come from the storage, not from the umask.
  oldMask = process.umask(0);
});

afterEach(async () => {
  process.umask(oldMask);
  await tmp.cleanup();
});

describe('local storage', () => {
  it('makes its folders 0700 and its files 0600', async () => {
    const root = join(tmp.path, 'backups');
    const storage = createLocalStorage({ root });
    await storage.put('app/prod/db.dump.gz', chunked(randomBytes(5000)));
    expect([mode(root), mode(join(root, 'app')), mode(join(root, 'app/prod')), mode(join(root, 'app/prod/db.dump.gz'))]).toEqual(['700', '700', '700', '600']);
  });

  it('a failed or aborted put leaves no temp file beside the key', async () => {
    const storage = createLocalStorage({ root: tmp.path });
    await storage.put('app/kept.dump', chunked(Buffer.from('kept')));
    await expect(storage.put('app/failed.dump', failingSource(300_000, () => new Error('dump died')))).rejects.toThrow(`writing ${join(tmp.path, 'app/failed.dump')} failed: dump died`);
    const ac = new AbortController();
    await expect(storage.put('app/aborted.dump', failingSource(300_000, () => ac.abort()), ac.signal)).rejects.toThrow(`writing ${join(tmp.path, 'app/aborted.dump')} was cancelled`);
    expect(allEntries(tmp.path)).toEqual(['app', 'app/kept.dump']);
  });

  it('list skips what is not a key (a temp file left by a crash, dot-files); get and stat of a folder find nothing', async () => {
    const storage = createLocalStorage({ root: tmp.path });
    await storage.put('app/prod/1.dump', chunked(Buffer.from('one')));
    writeFileSync(join(tmp.path, 'app/prod/.1.dump.0a1b2c3d4e5f.partial'), 'half');
    mkdirSync(join(tmp.path, '.cache'));
    writeFileSync(join(tmp.path, '.cache/x'), 'x');
    expect((await storage.list()).map((o) => o.key)).toEqual(['app/prod/1.dump']);
    await expect(storage.get('app/prod')).rejects.toThrow(new NotFound(`no backup at ${join(tmp.path, 'app/prod')}`));
    expect(await storage.stat('app/prod')).toBeNull();
    expect(await createLocalStorage({ root: join(tmp.path, 'never-made') }).list()).toEqual([]);
  });

  it('createStorage: a local path is relative to the given root, an absolute one is kept; s3 names its bucket and prefix', () => {
    expect(createStorage({ type: 'local', path: '.shipgate/backups' }, tmp.path).location('a/b.dump')).toBe(join(tmp.path, '.shipgate/backups/a/b.dump'));
    expect(createStorage({ type: 'local', path: '/srv/backups' }, tmp.path).location('a/b.dump')).toBe('/srv/backups/a/b.dump');
    const s3 = createStorage({ type: 's3', bucket: 'acme-backups', prefix: 'prod/', region: 'eu-west-1' }, tmp.path);
    expect([s3.type, s3.location('app/db/1.dump.gz')]).toEqual(['s3', 's3://acme-backups/prod/app/db/1.dump.gz']);
  });
});
