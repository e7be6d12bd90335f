import { lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { agentPaths, agentsDir } from '../agent/paths.js';
import { checkVersionSafety } from '../gates/version.js';

/**
 * The instance log folders of pruned releases (`.shipgate/agent/<env>/logs/<version>/`),
 * in every environment's agent folder: a release that is gone cannot run again,
 * and its logs would otherwise pile up for ever. Only real folders are removed
 * (never a symlink's target), and only for names that are safe versions.
 */
export async function pruneInstanceLogs(root: string, versions: readonly string[]): Promise<string[]> {
  const safe = versions.filter((v) => checkVersionSafety(v) === null);
  if (safe.length === 0) return [];
  const removed: string[] = [];
  for (const dir of await environmentAgentDirs(root)) {
    for (const version of safe) {
      const folder = join(agentPaths(dir).logsDir, version);
      if (await isRealDirectory(folder)) {
        await rm(folder, { recursive: true, force: true });
        removed.push(folder);
      }
    }
  }
  return removed;
}

async function environmentAgentDirs(root: string): Promise<string[]> {
  const base = agentsDir(root);
  const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => join(base, e.name));
}

async function isRealDirectory(path: string): Promise<boolean> {
  return lstat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
