/**
 * Backups in a folder on this host. Keys map to files under `root` (folders 0700,
 * files 0600: archives hold the whole database).
 */
import { unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { errorMessage } from '../errors.js';
import type { BackupStorage, StoredObject } from './contract.js';
import { StorageError } from './errors.js';
import { assertKey, assertPrefix } from './keys.js';
import { openObject, statFile, walkObjects } from './local-read.js';
import { writeFileAtomically } from './local-write.js';

export interface LocalStorageOptions {
  /** The folder backups live in; made (0700) on the first put. A relative path is taken from the working directory. */
  root: string;
}

export function createLocalStorage(opts: LocalStorageOptions): BackupStorage {
  const root = resolve(opts.root);
  const pathOf = (key: string): string => {
    assertKey(key);
    return join(root, ...key.split('/'));
  };
  return {
    type: 'local',
    location: pathOf,
    put: async (key: string, body: Readable, signal?: AbortSignal) => writeFileAtomically(pathOf(key), body, signal),
    get: async (key: string, signal?: AbortSignal) => openObject(pathOf(key), signal),
    stat: async (key: string): Promise<StoredObject | null> => {
      const facts = await statFile(pathOf(key));
      return facts === null ? null : { key, ...facts };
    },
    list: async (prefix = '') => {
      assertPrefix(prefix);
      return walkObjects(root, prefix);
    },
    delete: async (key: string) => removeFile(pathOf(key)),
  };
}

async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StorageError(`deleting ${path} failed: ${errorMessage(err)}`, { cause: err });
  }
}
