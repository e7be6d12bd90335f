/**
 * What shipgate keeps for itself under `.shipgate/` (the state database, records,
 * releases, the config cache, the agent's files and logs) is for the user running
 * it only: folders 0700, files 0600, whatever the umask. The mode given to mkdir
 * and open is reduced by the umask (and a weird umask like 0277 would take the
 * owner's own bits), and a file that already exists keeps its mode, so each
 * helper sets the mode explicitly after creating or opening.
 */
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** A release's file that was executable for anyone stays executable, for its owner only. */
export const PRIVATE_EXECUTABLE_MODE = 0o700;

export interface PrivateDirOptions {
  /**
   * Also make `path` itself 0700 when it existed with other modes (a folder an
   * older shipgate made). Off for folders that may be the user's own (the folder
   * a `sqlite:` store URL names). @default true
   */
  tighten?: boolean;
}

/** Creates `path` and its missing parents as 0700 folders. */
export function ensurePrivateDir(path: string, opts: PrivateDirOptions = {}): void {
  const first = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) {
    if (opts.tighten !== false && (statSync(path).mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
    return;
  }
  // mkdir reports the first folder it made; every folder from there down to `path` is new.
  let dir = first;
  chmodSync(dir, PRIVATE_DIR_MODE);
  for (const part of relative(first, path).split(sep).filter(Boolean)) {
    dir = join(dir, part);
    chmodSync(dir, PRIVATE_DIR_MODE);
  }
}

/** Opens (creating) a file readable and writable by its owner only; the caller closes the descriptor. */
export function openPrivate(path: string, flags: 'a' | 'w' | 'r+'): number {
  const fd = openSync(path, flags, PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** Writes a whole file with mode 0600 (also when it existed with another mode). */
export function writePrivateFileSync(path: string, data: string): void {
  const fd = openPrivate(path, 'w');
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/** {@link writePrivateFileSync} without blocking the event loop. */
export async function writePrivateFile(path: string, data: string): Promise<void> {
  const handle = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/** Makes an existing file 0600; a missing one is fine (SQLite's -wal and -shm come and go). */
export function tightenFile(path: string): void {
  try {
    if ((statSync(path).mode & 0o777) !== PRIVATE_FILE_MODE) chmodSync(path, PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
