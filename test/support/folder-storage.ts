/** A tiny local-folder BackupStorage for the backup tests (the real storage family lives in src/storage/). */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotFound } from '../../src/errors.js';
import type { BackupStorage, StoredObject } from '../../src/storage/contract.js';

export function folderStorage(root: string): BackupStorage & { path(key: string): string } {
  const path = (key: string): string => join(root, ...key.split('/'));
  const statOf = async (key: string): Promise<StoredObject | null> => {
    const s = await stat(path(key)).catch(() => null);
    return s?.isFile() ? { key, size: s.size, modifiedAt: s.mtime.toISOString() } : null;
  };
  return {
    type: 'local',
    path,
    location: path,
    async put(key: string, body: Readable) {
      await mkdir(dirname(path(key)), { recursive: true });
      const partial = `${path(key)}.partial`;
      await pipeline(body, createWriteStream(partial)).catch(async (err: unknown) => {
        await rm(partial, { force: true });
        throw err;
      });
      await rename(partial, path(key));
      return { size: (await stat(path(key))).size };
    },
    async get(key: string) {
      if (!(await statOf(key))) throw new NotFound(`no backup ${key}`);
      return createReadStream(path(key));
    },
    stat: statOf,
    async list(prefix = '') {
      const files = (await readdir(root, { recursive: true })).map((f) => relative(root, join(root, f)).split('\\').join('/'));
      const objects = await Promise.all(files.filter((k) => k.startsWith(prefix)).map(statOf));
      return objects.filter((o): o is StoredObject => o !== null && !o.key.endsWith('.partial')).sort((a, b) => a.modifiedAt.localeCompare(b.modifiedAt));
    },
    async delete(key: string) {
      await rm(path(key), { force: true });
    },
  };
}
