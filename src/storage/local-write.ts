/**
 * The local backend's put: the bytes go to a temp file beside the target, which is
 * renamed over it only once everything is written and synced. A reader never sees
 * half an archive, and a failed or aborted put removes its temp file, so nothing is
 * left under the key or beside it.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { Cancelled, errorMessage } from '../errors.js';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../runtime/private-files.js';
import { StorageError } from './errors.js';

/** Temp files start with "." (never a key's segment) and end with this. */
export const TEMP_SUFFIX = '.partial';

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
}

/** Streams `body` into `path` (0600, folders 0700) atomically; resolves with the bytes written. */
export async function writeFileAtomically(path: string, body: Readable, signal?: AbortSignal): Promise<{ size: number }> {
  const temp = tempPathFor(path);
  let renamed = false;
  try {
    ensurePrivateDir(dirname(path));
    const size = await writeTemp(temp, body, signal);
    // An abort that came after the last byte still cancels, as it does for S3.
    signal?.throwIfAborted();
    await rename(temp, path);
    renamed = true;
    await syncDir(dirname(path));
    return { size };
  } catch (err) {
    // Once renamed, the object itself goes: a put that reports failure leaves nothing.
    await unlink(renamed ? path : temp).catch(() => undefined);
    if (signal?.aborted) throw new Cancelled(`writing ${path} was cancelled`);
    throw new StorageError(`writing ${path} failed: ${errorMessage(err)}`, { cause: err });
  }
}

async function writeTemp(temp: string, body: Readable, signal?: AbortSignal): Promise<number> {
  const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    const size = await copyInto(handle, body, signal);
    await handle.sync();
    return size;
  } finally {
    await handle.close();
  }
}

async function copyInto(handle: FileHandle, body: Readable, signal?: AbortSignal): Promise<number> {
  let size = 0;
  // The abort destroys the source, which ends the loop below with an AbortError.
  const source: AsyncIterable<Buffer | string> = signal ? addAbortSignal(signal, body) : body;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    await writeAll(handle, bytes);
    size += bytes.length;
  }
  return size;
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done, bytes.length - done)).bytesWritten;
}

// The rename is only durable once the folder's entry is on disk too.
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
