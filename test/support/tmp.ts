/** Temporary directories for tests: made under os.tmpdir(), removed by their cleanup (or all at once). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  /** Absolute path of the new, empty directory. */
  path: string;
  /** Removes the directory and everything in it. Safe to call twice. */
  cleanup(): Promise<void>;
}

const live = new Set<string>();

export async function makeTempDir(prefix = 'shipgate-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  live.add(path);
  return {
    path,
    cleanup: async () => {
      live.delete(path);
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** Removes every directory made by {@link makeTempDir} and not cleaned up yet (e.g. in afterAll). */
export async function cleanupTempDirs(): Promise<void> {
  const paths = [...live];
  live.clear();
  await Promise.all(paths.map((p) => rm(p, { recursive: true, force: true })));
}
