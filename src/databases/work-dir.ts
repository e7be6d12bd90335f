import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PRIVATE_DIR_MODE } from '../runtime/private-files.js';

/**
 * A private (0700) temporary folder for one backup, proof or restore: dumps,
 * downloaded archives and password files live there, and it is removed
 * afterwards whatever happened.
 */
export async function withWorkDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'shipgate-backup-'));
  try {
    await chmod(dir, PRIVATE_DIR_MODE);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
