import { readFileSync, renameSync, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { writePrivateFile } from '../../runtime/private-files.js';
import type { RouterTableState } from '../contract.js';

/**
 * The table a router process serves, on disk. The router writes every table it
 * is given before it answers the agent, and the agent writes the first one
 * before it launches a router: so a router process that restarts (killed, or
 * crashed) serves the last table at once, whether or not the agent is alive.
 * It holds addresses, weights and router options; no secrets.
 */

export async function writeTableFile(path: string, state: RouterTableState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writePrivateFile(tmp, `${JSON.stringify(state)}\n`);
  await rename(tmp, path);
}

/** A table written aside: `commit` puts it in place (synchronously), `discard` removes it. */
export interface PreparedTable {
  commit(): void;
  discard(): void;
}

/** Writes `state` next to `path` without replacing the table there (a launch that fails to bind leaves the served table alone). */
export async function prepareTableFile(path: string, state: RouterTableState): Promise<PreparedTable> {
  const tmp = `${path}.${process.pid}.launch.tmp`;
  await writePrivateFile(tmp, `${JSON.stringify(state)}\n`);
  return { commit: () => renameSync(tmp, path), discard: () => rmSync(tmp, { force: true }) };
}

/** The last table written, or null when there is none (or it cannot be read: the router then starts empty and says so). */
export function readTableFile(path: string): RouterTableState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text) as RouterTableState;
    return state.format === 1 && typeof state.listen === 'string' && state.table && state.options ? state : null;
  } catch {
    return null;
  }
}
