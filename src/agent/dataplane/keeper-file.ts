import { readFileSync, rmSync } from 'node:fs';
import { writePrivateFileSync } from '../../runtime/private-files.js';
import { isAlive } from '../../runtime/process-identity.js';

/** The keeper's pid file: who holds the router's listening socket, and for which address. */
export interface KeeperRecord {
  pid: number;
  /** Process start token (tells the keeper from a process that reused its pid). */
  start: string | null;
  listen: string;
}

export function writeKeeperFile(path: string, record: KeeperRecord): void {
  writePrivateFileSync(path, `${JSON.stringify(record)}\n`);
}

export function readKeeperFile(path: string): KeeperRecord | null {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as KeeperRecord;
    return typeof r.pid === 'number' && typeof r.listen === 'string' ? r : null;
  } catch {
    return null;
  }
}

/** The keeper named in the pid file, when it still runs. */
export function runningKeeper(path: string): KeeperRecord | null {
  const r = readKeeperFile(path);
  return r !== null && isAlive(r.pid, r.start) ? r : null;
}

/** Removes the pid file if it still names `pid` (a successor's file stays). */
export function removeKeeperFile(path: string, pid: number): void {
  if (readKeeperFile(path)?.pid === pid) rmSync(path, { force: true });
}
