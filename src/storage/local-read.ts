/** The local backend's reads: one object's bytes or facts, and the walk behind `list`. */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { errorMessage, NotFound } from '../errors.js';
import type { StoredObject } from './contract.js';
import { StorageError } from './errors.js';
import { keyProblem } from './keys.js';
import { oldestFirst } from './order.js';

const isMissing = (err: unknown): boolean => ['ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '');

/** Opens `path` for reading; a missing file (or a folder) is NotFound naming the path. */
export async function openObject(path: string, signal?: AbortSignal): Promise<Readable> {
  // Opened before returning, so a missing or unreadable file rejects here instead of erroring mid-stream.
  const handle = await open(path, 'r').catch((err: unknown) => {
    throw isMissing(err) ? new NotFound(`no backup at ${path}`) : new StorageError(`reading ${path} failed: ${errorMessage(err)}`, { cause: err });
  });
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new NotFound(`no backup at ${path}`);
  }
  const stream = handle.createReadStream();
  return signal ? addAbortSignal(signal, stream) : stream;
}

/** Size and time of the file at `path`, or null when there is no file there. */
export async function statFile(path: string): Promise<{ size: number; modifiedAt: string } | null> {
  try {
    const s = await stat(path);
    return s.isFile() ? { size: s.size, modifiedAt: s.mtime.toISOString() } : null;
  } catch (err) {
    if (isMissing(err)) return null;
    throw new StorageError(`reading ${path} failed: ${errorMessage(err)}`, { cause: err });
  }
}

/** Every object under `root` whose key starts with `prefix`, oldest first (ties by key). */
export async function walkObjects(root: string, prefix: string): Promise<StoredObject[]> {
  const found: StoredObject[] = [];
  const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
  await walk(root, start, found);
  return found.filter((o) => o.key.startsWith(prefix)).sort(oldestFirst);
}

async function walk(root: string, dir: string, found: StoredObject[]): Promise<void> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch((err: unknown) => {
    if (isMissing(err)) return [];
    throw new StorageError(`listing ${join(root, dir)} failed: ${errorMessage(err)}`, { cause: err });
  });
  for (const entry of entries) {
    const key = dir === '' ? entry.name : `${dir}/${entry.name}`;
    // Temp files of puts in flight start with "." and are not keys; neither are names a key could not have.
    if (keyProblem(key) !== null) continue;
    if (entry.isDirectory()) await walk(root, key, found);
    else if (entry.isFile()) await addFile(root, key, found);
  }
}

async function addFile(root: string, key: string, found: StoredObject[]): Promise<void> {
  const facts = await statFile(join(root, ...key.split('/')));
  // A file deleted between readdir and stat is simply no longer there.
  if (facts !== null) found.push({ key, ...facts });
}
